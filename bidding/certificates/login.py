"""Certificate log-in (数字证书登录) and account recovery by certificate (R20).

The proof is the one binding asks for: the browser's local agent signs a one-time "login" challenge
(bound to the session and the origin, :mod:`bidding.certificates.challenges`) with the key of a
certificate; the signature is verified over the challenge's bytes and the certificate validated
exactly as :func:`bidding.certificates.services.bind_certificate` does (trust list, time, CRLs with
``revocation="require"`` by default). The certificate must then be bound, *active*, to a party: the
party is who logs in, and the account is the party's staff account (the only active one, or the one
the request names). A password lock-out (five wrong passwords) does not stop a certificate log-in:
the certificate is the stronger proof, and R20 lets exactly this holder recover the account.

Every attempt is audited: ``account.login`` (method ``certificate``) on success,
``account.login_refused`` with the refusal's code otherwise; a refused attempt uses up its
challenge (the refusal and the use are committed together).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bidding.accounts import passwords
from bidding.accounts.models import Account
from bidding.accounts.services import check_new_password
from bidding.certificates.challenges import use_challenge
from bidding.certificates.errors import (
    AccountChoiceNeeded,
    AccountNotOfParty,
    CertificateNotBound,
    NoAccountForCertificate,
)
from bidding.certificates.models import BindingState, CertificateBinding, ChallengePurpose
from bidding.certificates.services import _proven_certificate, _refusal, _validate
from bidding.errors import DomainError
from bidding.uow import UnitOfWork
from pki.certs import fingerprint_sha256
from pki.trust import TrustList


@dataclass(frozen=True)
class CertificateProof:
    """What a verified certificate proof established: the binding it matches and the party's
    active staff accounts."""

    binding: CertificateBinding
    accounts: list[Account]

    @property
    def usernames(self) -> list[str]:
        return [a.username for a in self.accounts]


def login_with_certificate(uow: UnitOfWork, challenge_id: int | str, session_key: str | bytes, origin: str,
                           signature_der: bytes, *, trust: TrustList, crls: Sequence[bytes] = (),
                           username: str | None = None, revocation: str = "require",
                           at: datetime | None = None, address: str | None = None) -> Account:
    """The account to log in by a signature over a "login" challenge (module docstring).

    Refusals (each audited, none logs in): the challenge's own (unknown, used, another session or
    origin, expired), :class:`SignatureInvalid`, the validator's (revoked, expired, untrusted,
    revocation status unknown …), :class:`CertificateNotBound`, :class:`NoAccountForCertificate`,
    :class:`AccountChoiceNeeded` (several accounts and no ``username``), :class:`AccountNotOfParty`."""
    address = address or uow.actor.address
    with uow:
        try:
            proof = _prove(uow, challenge_id, session_key, origin, signature_der, trust, crls, revocation, at)
            account = _choose(proof, username)
        except DomainError as refusal:
            uow.audit("account.login_refused", object_type="account", method="certificate", outcome=refusal.code,
                      username=(username or "")[:64], challenge=str(challenge_id)[:20], address=address)
            uow.commit()
            raise
        account.last_login_at = uow.clock.now()
        uow.audit("account.login", account, method="certificate", outcome="ok", username=account.username,
                  party_id=proof.binding.party_id, fingerprint=proof.binding.fingerprint_sha256,
                  serial=proof.binding.serial, address=address)
        uow.commit()
        return account


def recover_account(uow: UnitOfWork, challenge_id: int | str, session_key: str | bytes, origin: str,
                    signature_der: bytes, *, trust: TrustList, crls: Sequence[bytes] = (),
                    revocation: str = "require", at: datetime | None = None) -> list[str]:
    """R20, first step (找回用户名): the user names of the party whose bound certificate signed a
    "login" challenge. Audited as ``account.recovery``."""
    with uow:
        proof = _prove(uow, challenge_id, session_key, origin, signature_der, trust, crls, revocation, at)
        if not proof.accounts:
            raise NoAccountForCertificate(party_id=proof.binding.party_id)
        uow.audit("account.recovery", proof.binding, party_id=proof.binding.party_id, usernames=proof.usernames)
        uow.commit()
        return proof.usernames


def reset_password_with_certificate(uow: UnitOfWork, challenge_id: int | str, session_key: str | bytes,
                                    origin: str, signature_der: bytes, *, username: str, new_password: str,
                                    trust: TrustList, crls: Sequence[bytes] = (), revocation: str = "require",
                                    at: datetime | None = None) -> Account:
    """R20, second step (重置口令): a new password for ``username`` of the certificate's party,
    proven by a fresh signed challenge. The lock-out is lifted and every session of the account ends."""
    with uow:
        proof = _prove(uow, challenge_id, session_key, origin, signature_der, trust, crls, revocation, at)
        account = _choose(proof, username or "")
        check_new_password(account.username, new_password)
        account.password_hash = passwords.hash_password(new_password)
        account.failed_logins, account.locked_until = 0, None
        account.session_epoch += 1
        uow.audit("account.password_reset", account, method="certificate", username=account.username,
                  fingerprint=proof.binding.fingerprint_sha256)
        uow.commit()
        return account


# -- the steps ----------------------------------------------------------------------------------------
def _prove(uow: UnitOfWork, challenge_id, session_key, origin, signature_der, trust, crls, revocation,
           at) -> CertificateProof:
    """Inside the caller's transaction: use the challenge, verify, validate, find the binding."""
    message = use_challenge(uow, challenge_id, session_key, origin, purpose=ChallengePurpose.LOGIN)
    now = at or uow.clock.now()
    cert = _proven_certificate(signature_der, message, trust, now, crls, revocation)
    result = _validate(trust, cert, now, "login", crls, revocation)
    if not result.ok:
        raise _refusal(result)
    fingerprint = fingerprint_sha256(cert)
    binding = uow.session.scalars(select(CertificateBinding).where(
        CertificateBinding.fingerprint_sha256 == fingerprint, CertificateBinding.state == BindingState.ACTIVE)).first()
    if binding is None:
        raise CertificateNotBound(fingerprint=fingerprint)
    accounts = [a for a in uow.session.scalars(select(Account).where(Account.party_id == binding.party_id,
                                                                     Account.active.is_(True))
                                               .order_by(Account.username))
                if a.role.party_kind is not None]
    return CertificateProof(binding, accounts)


def _choose(proof: CertificateProof, username: str | None) -> Account:
    username = (username or "").strip()
    if username:
        chosen = next((a for a in proof.accounts if a.username == username), None)
        if chosen is None:
            raise AccountNotOfParty(username=username[:64])
        return chosen
    if not proof.accounts:
        raise NoAccountForCertificate(party_id=proof.binding.party_id)
    if len(proof.accounts) > 1:
        raise AccountChoiceNeeded(party_id=proof.binding.party_id)
    return proof.accounts[0]

