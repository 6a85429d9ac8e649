"""``--token LABEL``: the key on a token that belongs to ``--cert``, found the way the signing agent
finds it (:class:`bidtool.agent.keystore.Keystore`: a certificate on the token with a key pair under
the same ``CKA_ID``), so a bidder names the token as the agent page shows it, not a PKCS#11 URI."""
from __future__ import annotations

from asn1crypto import x509

from bidtool.errors import EXIT_IO, ToolError
from pki.pkcs11 import Pkcs11Uri


def key_uri(label: str, cert: x509.Certificate) -> str:
    """The URI (token serial and ``id=``) of the private key paired with ``cert`` on token ``label``."""
    from bidtool.agent.config import AgentConfig
    from bidtool.agent.keystore import Keystore
    store = Keystore(AgentConfig(tokens=(Pkcs11Uri(token=label).format(),)))
    states, creds = store.scan()
    if not any(state.present for state in states):
        problem = next((s.problem for s in states if s.problem), "not found")
        raise ToolError(f"找不到令牌 {label} (token {label} not found: {problem})", EXIT_IO)
    for cred in creds:
        if cred.certificate.dump() == cert.dump() and cred.token is not None:
            uri = cred.token.uri
            return Pkcs11Uri(token=uri.token, serial=uri.serial, module_path=uri.module_path,
                             module_name=uri.module_name, id=cred.key_id, type="private").format()
    raise ToolError(f"令牌 {label} 上没有 --cert 所给证书的私钥 (token {label} holds no key paired with the "
                    f"certificate given with --cert)")
