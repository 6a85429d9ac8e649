"""The registration commitment letter (入驻承诺书, R14): a supplier signs it with a certificate bound
to it, through the local agent. The text is made from the party's data and the day (Beijing time),
so the page that fetched it and the service that checks the signature make the same bytes; the
signature (detached CMS SignedData or GM/T 0010 signedData) is checked over exactly those bytes,
every signer, each of whose certificates must be actively bound to this party. The letter, the
signature (DER) and the signer are kept; ``openssl cms -verify -binary -content letter.txt`` checks
an RSA/ECDSA one offline.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta, timezone

from sqlalchemy import select

from bidding.certificates.models import BindingState, CertificateBinding
from bidding.errors import NotFound
from bidding.parties.errors import (
    CommitmentAlreadySigned,
    CommitmentOnlyForSuppliers,
    CommitmentSignatureRefused,
    CommitmentSignerNotBound,
)
from bidding.parties.models import CommitmentLetter, Party, PartyKind
from bidding.uow import UnitOfWork
from pki.certs import fingerprint_sha256
from pki.errors import PkiError
from pki.signature import verify

BEIJING = timezone(timedelta(hours=8))
LETTER_VERSION = "ebid-commitment/1"


def commitment_letter_text(party: Party, on: date) -> str:
    """The letter's text (UTF-8 when signed): the party's name and credit code and the date."""
    return (f"入驻承诺书\n"
            f"（{LETTER_VERSION}）\n\n"
            f"本单位 {party.name}（统一社会信用代码：{party.credit_code}）申请入驻电子招投标平台，郑重承诺：\n"
            f"一、所提交的主体信息及营业执照真实、准确、完整，如有变更及时更新；\n"
            f"二、妥善保管本单位数字证书及其口令，使用本单位数字证书所作的电子签名和电子签章由本单位负责；\n"
            f"三、遵守政府采购及招标投标法律法规和平台规则，不串通投标，不弄虚作假，不以他人名义投标；\n"
            f"四、经办人变更时及时在平台登记，并收回其持有的数字证书、修改口令。\n\n"
            f"承诺单位：{party.name}\n"
            f"统一社会信用代码：{party.credit_code}\n"
            f"日期：{on:%Y年%m月%d日}\n")


def letter_for(uow: UnitOfWork, party_id: int) -> tuple[Party, str, CommitmentLetter | None]:
    """The party, the text to sign today (or the signed text) and the signed letter if there is one."""
    party = _supplier(uow, party_id)
    signed = _signed(uow, party.id)
    return party, signed.text if signed else commitment_letter_text(party, today(uow)), signed


def sign_commitment_letter(uow: UnitOfWork, party_id: int, signature_der: bytes, *, trust, crls: Sequence[bytes] = (),
                           revocation: str = "require") -> CommitmentLetter:
    """Keep the supplier's signature over today's letter once every signer's signature holds over
    exactly that text and each signer's certificate is actively bound to the party."""
    with uow:
        party = _supplier(uow, party_id)
        if _signed(uow, party.id) is not None:
            raise CommitmentAlreadySigned()
        text = commitment_letter_text(party, today(uow))
        fingerprints = _verified_signers(bytes(signature_der), text.encode("utf-8"), trust, uow.clock.now(),
                                         crls, revocation)
        bound = set(uow.session.scalars(select(CertificateBinding.fingerprint_sha256).where(
            CertificateBinding.party_id == party.id, CertificateBinding.state == BindingState.ACTIVE)))
        unbound = [f for f in fingerprints if f not in bound]
        if unbound:
            raise CommitmentSignerNotBound(fingerprints=unbound)
        letter = CommitmentLetter(party_id=party.id, text=text, signature_der=bytes(signature_der),
                                  signer_fingerprint=fingerprints[0], signed_at=uow.clock.now())
        uow.session.add(letter)
        uow.session.flush()
        uow.audit("party.commitment_signed", letter, party_id=party.id, signers=fingerprints)
        uow.commit()
        return letter


def today(uow: UnitOfWork) -> date:
    return uow.clock.now().astimezone(BEIJING).date()


def _verified_signers(der: bytes, content: bytes, trust, at, crls, revocation) -> list[str]:
    try:
        result = verify(der, content=content, trust_roots=trust.roots, intermediates=trust.intermediates, at=at,
                        crls=crls, revocation=revocation)
    except PkiError as exc:
        raise CommitmentSignatureRefused(f"{CommitmentSignatureRefused.message}：{exc}") from None
    if not result.ok or not result.signers or any(s.signer_certificate is None for s in result.signers):
        raise CommitmentSignatureRefused(f"{CommitmentSignatureRefused.message}：{result.message()}",
                                         reasons=[{"code": r.code, "message": r.message} for r in result.reasons])
    return list(dict.fromkeys(fingerprint_sha256(s.signer_certificate) for s in result.signers))


def _supplier(uow: UnitOfWork, party_id: int | None) -> Party:
    party = uow.session.get(Party, party_id) if party_id is not None else None
    if party is None:
        raise NotFound("主体不存在 (party not found)", party_id=party_id)
    if party.kind != PartyKind.SUPPLIER:
        raise CommitmentOnlyForSuppliers()
    return party


def _signed(uow: UnitOfWork, party_id: int) -> CommitmentLetter | None:
    return uow.session.scalars(select(CommitmentLetter).where(CommitmentLetter.party_id == party_id)).first()
