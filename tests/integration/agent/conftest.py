"""The local signing agent under test: a development CA (CFCA profile), a SoftHSM2 token holding
RSA and EC key pairs with their certificates (signing and encryption), an SM2 key file, and the
agent serving them in-process on a free port of 127.0.0.1 in a thread (helpers: support.agent)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from devsetup.softhsm import init_softhsm_token
from pki import pkcs11 as tokens
from pki.devca import DevCA
from pki.devca.tokens import issue_to_token
from pki.identity import PartyIdentity
from support.agent import (KEY_PASSWORD, PIN, SO_PIN, TRANSPORT_PASSWORD, AgentClient, CaSet, Token, agent_args,
                           file_credential, start_agent)
from support.bidtool_env import CODE, OTHER_CODE


@pytest.fixture(scope="session")
def cas(tmp_path_factory) -> CaSet:
    base = tmp_path_factory.mktemp("agent-ca")
    ca = DevCA(base / "state", base / "anchors")
    ca.init(["cfca"], at=datetime.now(timezone.utc))
    supplier = PartyIdentity(kind="institution", name="签名助手供应商有限公司", credit_code=CODE)
    platform = PartyIdentity(kind="institution", name="平台开标服务", credit_code=OTHER_CODE)
    files = base / "files"
    files.mkdir()
    return CaSet(
        ca=ca, dir=base,
        sm2_signing=file_credential(ca, files, "signing-sm2", "sm2", "signing", KEY_PASSWORD.encode(), supplier),
        sm2_encryption=file_credential(ca, files, "encryption-sm2", "sm2", "encryption", KEY_PASSWORD.encode(), supplier),
        transport={alg: file_credential(ca, files, f"opening-{alg}", alg, "encryption", TRANSPORT_PASSWORD, platform)
                   for alg in ("rsa", "ec", "sm2")},
        signing_only=file_credential(ca, files, "platform-signing-rsa", "rsa", "signing", TRANSPORT_PASSWORD, platform),
    )


@pytest.fixture
def token(cas, tmp_path, isolated_tokens) -> Token:
    """A fresh SoftHSM token with RSA and EC key pairs (signing and encryption), generated on it,
    certified by the dev CA, each certificate stored beside its key under the same CKA_ID."""
    hsm = init_softhsm_token(tmp_path / "hsm", "agent-token", SO_PIN, PIN)
    session = tokens.open_token(hsm.label, pin=PIN)
    ident = PartyIdentity(kind="institution", name="签名助手供应商有限公司", credit_code=CODE)
    keys = {(alg, purpose): issue_to_token(cas.ca, session, "cfca", ident, algorithm=alg, purpose=purpose)
            for alg in ("rsa", "ec") for purpose in ("signing", "encryption")}
    tokens.close_sessions()
    return Token(hsm, keys)


@pytest.fixture
def agent(cas, token, tmp_path):
    """The agent in this process, serving the token and the SM2 key files; an AgentClient for it."""
    server, thread = start_agent(agent_args(cas, token, tmp_path / "state"))
    try:
        yield AgentClient(server.port, server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
