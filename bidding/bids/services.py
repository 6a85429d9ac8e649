"""Use cases of bids (投标): the resumable upload, acceptance with a receipt, withdrawal and
replacement, and who sees what before the opening.

- :func:`start_upload` (a registered supplier, while the tender is open): the size and SHA-256 of
  the envelope it is about to send; refused at once when none of its bound encryption certificates
  lasts until the end of the decryption window (R11);
- :func:`receive_chunk`: one PATCH of bytes at the upload's offset (docs/uploads.md); a file whose
  first bytes are not an envelope is refused at the first chunk (R16); the chunk that completes the
  file fixes ``received_at`` (R17) and :func:`_accept` makes it a bid:

  1. size and SHA-256 as announced; the whole envelope parses (RecipientInfos only: nothing is
     decrypted, and nothing here could decrypt it);
  2. every recipient is one of the bidder's own active bound encryption certificates (the rows are
     locked, so a renewal racing with the upload waits, R10), each valid until the end of the
     decryption window (R11: otherwise renew first and run the self-test);
  3. ``received_at`` strictly before the bid deadline (its own instant is too late);
  4. the file is renamed into place under its SHA-256 (fsync, rename, fsync the folder), the bid it
     replaces (one submitted bid per bidder and tender) becomes *replaced* (its file stays), the
     receipt is signed and stored, all in one transaction with one audit entry;

- :func:`withdraw_bid` before the deadline, with its own receipt;
- reading: :func:`own_bids` (a bidder sees only its own), :func:`tender_bids` (the agency sees that
  bids exist: bidder, size, time of receipt, never content), :func:`receipt_of` (the bidder only).

No door here hands out an envelope: before the opening nobody can download one (DESIGN.md §6).
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from asn1crypto import cms, x509
from sqlalchemy import select, update

from bidding.accounts.models import Account, Role
from bidding.bids.models import Bid, BidReceipt, BidRecipient, BidState, BidUpload, UploadState, new_bid_id, \
    new_upload_id
from bidding.bids.receipts import SUBMITTED, WITHDRAWN, ReceiptIssuer, receipt_fields
from bidding.bids.uploads import (BidStore, ChunkIncomplete, UploadBusy, ChunkTooLarge, Digests, Reader, UploadClosed,
                                  UploadExpired, UploadLimits, UploadNotFound, UploadOffsetMismatch, UploadTooLong,
                                  check_announcement, digest_file, looks_like_envelope, running_digests,
                                  valid_upload_id)
from bidding.certificates.desk import lock_bindings
from bidding.certificates.models import BindingState, CertificateBinding, CertificatePurpose
from bidding.errors import Conflict, DomainError, NotFound, PermissionDenied
from bidding.parties.models import Party
from bidding.tenders.access import load_tender
from bidding.tenders.errors import NotRegistered
from bidding.tenders.models import Tender, TenderPhase
from bidding.tenders.services import tender_registration
from bidding.tenders.times import beijing
from bidding.uow import UnitOfWork
from pki import envelope
from pki.certs import to_asn1
from pki.envelope import EnvelopeInfo
from pki.errors import PkiError

log = logging.getLogger(__name__)

EXPIRY_WARNING = timedelta(days=30)
RENEW_ADVICE = ("请先续期（或更换）该证书，续期后完成加解密测试，再用新证书重新加密投标文件后提交 "
                "(renew the certificate first, run the encryption/decryption self-test, then seal the bid to the "
                "new certificate and submit it)")
ReceiptsFactory = Callable[[], ReceiptIssuer]


# -- refusals ---------------------------------------------------------------------------------------------
class BidRefused(DomainError):
    """Base of the refusals of an upload at its end: the upload is closed, its file removed."""

    code = "bid_refused"
    message = "投标文件被拒收 (the bid was refused)"
    http_status = 422


class BidNotEncrypted(BidRefused):
    """R16: the file is not a digital envelope (a PDF, a zip, a signature, plain text…)."""

    code = "bid_not_encrypted"
    message = ("投标文件必须加密：上传的文件不是数字信封，已拒收。请用 bidtool pack 对投标文件签名并加密后再上传 (bids must be "
               "encrypted: the file is not a digital envelope and was refused; seal it with bidtool pack first)")
    http_status = 400


class BidEnvelopeMalformed(BidRefused):
    code = "bid_envelope_malformed"
    message = "数字信封格式错误或已损坏，已拒收 (the envelope is malformed or damaged and was refused)"
    http_status = 400


class UploadLost(BidRefused):
    code = "upload_lost"
    message = "该上传已收到的数据已不在平台上（已过期清理），请重新上传 (the upload's bytes are gone: start a new upload)"
    http_status = 410


class BidDigestMismatch(BidRefused):
    code = "bid_digest_mismatch"
    message = ("收到的文件与申报的 SHA-256 或大小不符（传输中损坏或文件已更换），已拒收，请重新上传 (the file received does not "
               "match the announced SHA-256 or size: refused, upload it again)")


class BidRecipientRefused(BidRefused):
    """A RecipientInfo names a certificate that is not one of the bidder's own active bound
    encryption certificates: someone else (the platform included) might open the bid."""

    code = "bid_recipient_refused"
    message = ("数字信封的接收者必须是本单位已绑定的有效加密证书，否则他人可能在开标前打开投标文件，已拒收 (every recipient of "
               "the envelope must be one of your own bound, active encryption certificates: refused)")


class CertificateExpiresBeforeOpening(BidRefused):
    """R11: a recipient certificate expires before the tender's decryption window ends."""

    code = "certificate_expires_before_opening"
    message = f"加密证书将在开标解密结束前到期，不能用于本次投标。{RENEW_ADVICE}"
    http_status = 409


class NoEncryptionCertificate(Conflict):
    code = "no_encryption_certificate"
    message = ("本单位没有在开标解密结束后仍有效的已绑定加密证书。请先绑定加密证书（或续期后完成加解密测试） (your party has no bound "
               "encryption certificate valid until the end of the decryption window: bind one, or renew and self-test)")


class DeadlinePassed(BidRefused):
    """R17: the last byte arrived at or after the bid deadline (or a withdrawal came too late)."""

    code = "bid_deadline_passed"
    message = "投标截止时间已到，不再接受投标、撤回或替换 (the bid deadline has passed: nothing is accepted any more)"
    http_status = 409


class TenderNotOpen(Conflict):
    code = "tender_not_open_for_bids"
    message = "该项目当前不接受投标 (the tender does not accept bids now)"


class BidNotFound(NotFound):
    """No such bid, or not the acting party's (another party's bid is not confirmed to exist)."""

    code = "bid_not_found"
    message = "投标不存在 (no such bid)"


class BidNotPending(Conflict):
    code = "bid_not_pending"
    message = "该投标已撤回、已被替换或已开标，不能撤回 (the bid is withdrawn, replaced or opened already)"


class OnlySuppliers(PermissionDenied):
    code = "bid_only_suppliers"
    message = "只有供应商经办人可以投标 (only a supplier's staff submits bids)"


class ReceiptsUnavailable(DomainError):
    """The platform could not sign or timestamp the receipt: nothing was accepted yet; the upload
    stays complete and is finished by sending its last chunk (0 bytes) again."""

    code = "receipts_unavailable"
    message = ("平台暂时无法签发投标回执，投标尚未被接受；文件已完整收到，请稍后重试提交 (the platform cannot sign the receipt "
               "now: the bid is not accepted yet; the file is complete, retry in a moment)")
    http_status = 503


class BidsNotVisible(PermissionDenied):
    code = "bids_not_visible"
    message = "只有该项目的代理机构和监管人员可以查看投标递交情况 (only the tender's agency and supervisors see who has bid)"


# -- results ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StartedUpload:
    upload: BidUpload
    expires_at: datetime
    warnings: list[str]


@dataclass(frozen=True)
class Submission:
    """An accepted bid, its receipt (DER) and the warnings to show (a certificate expiring soon)."""

    bid: Bid
    receipt: bytes
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ChunkOutcome:
    upload: BidUpload
    submission: Submission | None


@dataclass(frozen=True)
class BidSummary:
    """What the agency sees of a bid before the opening: that it exists, whose, how big, when."""

    bidder: str
    size: int
    received_at: datetime
    state: BidState


@dataclass(frozen=True)
class TenderBids:
    tender: Tender
    count: int
    bids: list[BidSummary]


# -- starting -------------------------------------------------------------------------------------------------
def start_upload(uow: UnitOfWork, account: Account, tender_id: Any, size: Any, sha256: Any, *, store: BidStore,
                 limits: UploadLimits, receipts: ReceiptsFactory | None = None) -> StartedUpload:
    """A new upload of a bid envelope of ``size`` bytes with this SHA-256 for the tender.
    ``receipts``: asked once here, so that an upload does not start when no receipt could be
    signed at its end (the platform's receipt certificate missing)."""
    size, sha256 = check_announcement(size, sha256, limits)
    with uow:
        party_id = _supplier(account)
        tender = load_tender(uow, tender_id)
        tender_registration(uow, tender.id, party_id)
        now = uow.clock.now()
        _require_open(tender, now)
        warnings = _usable_certificates(uow, party_id, tender, now)
        if receipts is not None:
            receipts()
        upload = BidUpload(public_id=new_upload_id(), tender_id=tender.id, party_id=party_id, account_id=account.id,
                           size=size, sha256=sha256, received=0, state=UploadState.RECEIVING, created_at=now,
                           expires_at=now + limits.lifetime)
        uow.session.add(upload)
        uow.session.flush()
        store.create_upload(upload.public_id)
        uow.audit("bid.upload_started", upload, tender=tender.public_id, party_id=party_id, size=size, sha256=sha256)
        uow.commit()
        return StartedUpload(upload, upload_expiry(upload, tender), warnings)


def upload_expiry(upload: BidUpload, tender: Tender) -> datetime:
    """When the upload stops taking bytes: its lifetime's end, or the bid deadline if sooner."""
    return min(upload.expires_at, tender.bid_deadline) if tender.bid_deadline else upload.expires_at


# -- receiving ------------------------------------------------------------------------------------------------
def receive_chunk(uow: UnitOfWork, account: Account, upload_id: str, offset: int, length: int, read: Reader, *,
                  store: BidStore, limits: UploadLimits, receipts: ReceiptsFactory) -> ChunkOutcome:
    """Write one chunk of ``length`` bytes (``read`` gives them) at ``offset``; when the file is then
    complete, accept it as a bid (:func:`_accept`). A chunk of 0 bytes at the end finishes an upload
    whose last byte arrived but which was not accepted yet (a crash, a service that was down)."""
    upload = own_upload(uow, account, upload_id)
    _require_receiving(upload)
    if length > limits.max_chunk:
        raise ChunkTooLarge(f"每个分片最多 {limits.max_chunk} 字节 (a chunk has at most {limits.max_chunk} bytes)",
                            max_chunk=limits.max_chunk)
    if offset != upload.received:
        raise UploadOffsetMismatch(offset=upload.received)
    if offset + length > upload.size:
        raise UploadTooLong(offset=upload.received, size=upload.size)
    with store.open_part(upload.public_id) as part:
        uow.session.refresh(upload)            # what the request before ours (now done) recorded
        _require_receiving(upload)
        if offset != upload.received:
            raise UploadOffsetMismatch(offset=upload.received)
        _require_unexpired(uow, store, upload)
        digests = None
        if length:
            if part is None:                   # its bytes were removed: nothing to append to
                _close(uow, store, upload, UploadState.REFUSED, UploadLost())
                raise UploadLost()
            digests = running_digests.take(upload.public_id, offset)
            chunk = part.append(offset, length, read, digests, total=upload.size, clock=uow.clock)
            with uow:
                upload.received = offset + chunk.written
                if chunk.last_byte_at is not None:
                    upload.last_byte_at = chunk.last_byte_at
                uow.commit()
            if digests is not None:
                running_digests.put(upload.public_id, digests)
            if chunk.head and looks_like_envelope(chunk.head) is False:
                _close(uow, store, upload, UploadState.REFUSED, BidNotEncrypted())
                raise BidNotEncrypted()
            if chunk.written < length:
                raise ChunkIncomplete(offset=upload.received)
        if upload.received < upload.size:
            return ChunkOutcome(upload, None)
        path = part.path if part is not None else store.envelope_path(upload.sha256)
        return ChunkOutcome(upload, _finish(uow, account, upload, path, digests, store=store, receipts=receipts))


def upload_status(uow: UnitOfWork, account: Account, upload_id: str) -> tuple[BidUpload, Tender]:
    """The upload (the acting party's own) and its tender, for HEAD/GET: where to resume."""
    upload = own_upload(uow, account, upload_id)
    return upload, uow.session.get(Tender, upload.tender_id)


def cancel_upload(uow: UnitOfWork, account: Account, upload_id: str, *, store: BidStore) -> BidUpload:
    """The bidder gives up an unfinished upload; its bytes are removed."""
    upload = own_upload(uow, account, upload_id)
    _require_receiving(upload)
    with store.open_part(upload.public_id):
        uow.session.refresh(upload)
        _require_receiving(upload)
        _close(uow, store, upload, UploadState.CANCELLED, None)
    return upload


def own_upload(uow: UnitOfWork, account: Account, upload_id: str) -> BidUpload:
    """The upload if it is the acting party's (another party's: not found)."""
    party_id = _supplier(account)
    upload = None
    if valid_upload_id(upload_id):
        upload = uow.session.scalars(select(BidUpload).where(BidUpload.public_id == upload_id)).first()
    if upload is None or upload.party_id != party_id:
        raise UploadNotFound(upload=upload_id[:40])
    return upload


def purge_expired_uploads(uow: UnitOfWork, store: BidStore) -> int:
    """Close every unfinished upload past its expiry (or its tender's deadline) and remove its bytes;
    returns how many. Harmless to run at any time, any number of times, beside uploads in progress
    (one receiving a chunk right now is left for the next run)."""
    ids = list(uow.session.scalars(select(BidUpload.public_id).where(BidUpload.state == UploadState.RECEIVING,
                                                                     BidUpload.last_byte_at.is_(None))))
    closed = 0
    for upload_id in ids:
        upload = uow.session.scalars(select(BidUpload).where(BidUpload.public_id == upload_id)).one()
        try:
            with store.open_part(upload_id):
                uow.session.refresh(upload)
                if upload.state is UploadState.RECEIVING and upload.last_byte_at is None:
                    _require_unexpired(uow, store, upload)
        except UploadExpired:
            closed += 1
        except UploadBusy:
            continue
    return closed


# -- accepting ------------------------------------------------------------------------------------------------
def _finish(uow: UnitOfWork, account: Account, upload: BidUpload, path: Path, digests: Digests | None, *,
            store: BidStore, receipts: ReceiptsFactory) -> Submission:
    """The upload is complete (its bytes at ``path``): check it and accept it, or refuse it for good
    (its file removed). Anything else (the receipt service down, a crash) leaves it complete and
    waiting: a chunk of 0 bytes at its end finishes it later, with the same ``received_at``."""
    try:
        if not path.is_file():
            raise UploadLost()
        info, infos, sha256, sm3 = _examine(path, upload, digests)
        return _accept(uow, account, upload, path, info, infos, sha256, sm3, store=store, receipts=receipts)
    except (BidRefused, NotRegistered) as refusal:
        uow.session.rollback()
        _close(uow, store, upload, UploadState.REFUSED, refusal)
        raise


def _examine(path: Path, upload: BidUpload, digests: Digests | None
             ) -> tuple[EnvelopeInfo, list[cms.RecipientInfo], str, str]:
    """Size and digests as announced, then the envelope's structure and RecipientInfos (R16)."""
    if digests is None or digests.length != upload.size:
        size, digests = digest_file(path)
    else:
        size = path.stat().st_size
    sha256, sm3 = digests.hexdigests()
    if size != upload.size or sha256 != upload.sha256:
        raise BidDigestMismatch(announced_sha256=upload.sha256, received_sha256=sha256, announced_size=upload.size,
                                received_size=size)
    try:
        info = envelope.inspect(path)
        infos = envelope.recipient_infos(path)
    except envelope.NotContentInfo:
        raise BidNotEncrypted() from None
    except envelope.NotAnEnvelope as exc:
        raise BidNotEncrypted(content_type=exc.content_type) from None
    except PkiError as exc:
        raise BidEnvelopeMalformed(f"{BidEnvelopeMalformed.message}：{exc.message}", reason=exc.code) from None
    return info, infos, sha256, sm3


def _accept(uow: UnitOfWork, account: Account, upload: BidUpload, path: Path, info: EnvelopeInfo,
            infos: Sequence[cms.RecipientInfo], sha256: str, sm3: str, *, store: BidStore,
            receipts: ReceiptsFactory) -> Submission:
    received_at = upload.last_byte_at
    with uow:
        _serialise_party(uow, upload)
        tender = uow.session.get(Tender, upload.tender_id, populate_existing=True)
        tender_registration(uow, tender.id, upload.party_id)
        if received_at >= tender.bid_deadline or tender.phase(received_at) is not TenderPhase.OPEN:
            raise DeadlinePassed(received_at=received_at.isoformat(), deadline=tender.bid_deadline.isoformat())
        bindings = _recipient_bindings(uow, upload.party_id, infos)
        bindings = lock_bindings(uow.session, [b.id for b in bindings])
        warnings = _check_recipients(bindings, tender, received_at)
        party = uow.session.get(Party, upload.party_id)
        replaced = _current_bid(uow, tender.id, party.id)
        kept = store.keep(path, sha256) if path != store.envelope_path(sha256) else path
        bid = Bid(public_id=new_bid_id(), tender_id=tender.id, party_id=party.id, submitted_by=account.id,
                  state=BidState.SUBMITTED, size=upload.size, sha256=sha256, sm3=sm3, envelope_format=info.format,
                  content_type=info.content_type, cipher=info.cipher, received_at=received_at)
        if replaced is not None:
            replaced.state = BidState.REPLACED
            uow.session.flush()             # out of the one-submitted-bid index before the new one enters
        uow.session.add(bid)
        uow.session.flush()
        if replaced is not None:
            replaced.replaced_by_id, bid.replaces_id = bid.id, replaced.id
        for binding in bindings:
            uow.session.add(BidRecipient(bid_id=bid.id, binding_id=binding.id,
                                         fingerprint_sha256=binding.fingerprint_sha256, not_after=binding.not_after))
        now = uow.clock.now()
        der = _sign(receipts, receipt_fields(tender, bid, party, action=SUBMITTED, at=received_at, replaces=replaced),
                    now)
        uow.session.add(BidReceipt(bid_id=bid.id, action=SUBMITTED, received_at=received_at, issued_at=now, der=der))
        upload.state, upload.bid_id, upload.finished_at = UploadState.COMPLETED, bid.id, now
        uow.audit("bid.submitted", bid, tender=tender.public_id, party_id=party.id, size=bid.size, sha256=sha256,
                  sm3=sm3, received_at=received_at.isoformat(), cipher=info.cipher,
                  replaces=replaced.public_id if replaced is not None else None,
                  recipients=[b.fingerprint_sha256 for b in bindings], upload=upload.public_id,
                  stored=str(kept.relative_to(store.root)))
        uow.commit()
    store.discard_upload(upload.public_id)      # an empty .part a retried finish may have left
    log.info("bid %s accepted for tender %s (%d bytes)", bid.public_id, tender.public_id, bid.size)
    return Submission(bid, der, warnings)


def _serialise_party(uow: UnitOfWork, upload: BidUpload) -> None:
    """One acceptance or withdrawal per bidder at a time. PostgreSQL: the party's row (FOR NO KEY
    UPDATE: rows referring to the party may still be written meanwhile); SQLite: the first write of
    the transaction takes the database's write lock (the upload's own row, changed by nothing)."""
    session = uow.session
    if session.connection().dialect.name == "sqlite":
        session.execute(update(BidUpload.__table__).where(BidUpload.__table__.c.id == upload.id)
                        .values(state=BidUpload.__table__.c.state))
    else:
        session.execute(select(Party.id).where(Party.id == upload.party_id).with_for_update(key_share=True))
    session.refresh(upload)
    if upload.state is not UploadState.RECEIVING:
        raise UploadClosed(state=upload.state.value)


def _recipient_bindings(uow: UnitOfWork, party_id: int, infos: Sequence[cms.RecipientInfo]
                        ) -> list[CertificateBinding]:
    """The party's bound encryption certificates the RecipientInfos name; every recipient must be
    one of them (a password, a pre-shared key or another certificate is refused)."""
    own = list(uow.session.scalars(select(CertificateBinding).where(
        CertificateBinding.party_id == party_id, CertificateBinding.purpose == CertificatePurpose.ENCRYPTION,
        CertificateBinding.state == BindingState.ACTIVE)))
    certificates = [(b, to_asn1(b.certificate_der)) for b in own]
    found: dict[int, CertificateBinding] = {}
    for ri in infos:
        for rid in _recipient_ids(ri):
            match = next((b for b, cert in certificates if _names(rid, cert)), None)
            if match is None:
                raise BidRecipientRefused(f"{BidRecipientRefused.message}：{_describe(rid)}", recipient=_describe(rid))
            found[match.id] = match
    return list(found.values())


def _recipient_ids(ri: cms.RecipientInfo) -> list[Any]:
    if ri.name == "ktri":
        return [ri.chosen["rid"]]
    if ri.name == "kari":
        return [rek["rid"] for rek in ri.chosen["recipient_encrypted_keys"]]
    kind = {"kekri": "预共享密钥 (a pre-shared key)", "pwri": "口令 (a password)"}.get(ri.name, ri.name)
    raise BidRecipientRefused(f"{BidRecipientRefused.message}：接收者为{kind}", recipient=ri.name)


def _names(rid: Any, cert: x509.Certificate) -> bool:
    """Whether a recipient identifier names ``cert`` (issuer and serial, or subject key identifier)."""
    if rid.name == "issuer_and_serial_number":
        if rid.chosen["serial_number"].native != cert.serial_number:
            return False
        try:
            return rid.chosen["issuer"] == cert.issuer
        except ValueError:          # a name asn1crypto cannot prepare for comparison: not ours
            return False
    ski = rid.chosen.native if rid.name == "subject_key_identifier" else rid.chosen["subject_key_identifier"].native
    return cert.key_identifier is not None and ski == cert.key_identifier


def _describe(rid: Any) -> str:
    if rid.name == "issuer_and_serial_number":
        try:
            issuer = rid.chosen["issuer"].human_friendly
        except ValueError:
            issuer = "?"
        return f"{issuer}，序列号 {rid.chosen['serial_number'].native:X}"
    ski = rid.chosen.native if rid.name == "subject_key_identifier" else rid.chosen["subject_key_identifier"].native
    return f"密钥标识 {ski.hex()}"


def _check_recipients(bindings: Sequence[CertificateBinding], tender: Tender, received_at: datetime) -> list[str]:
    """After the lock: each binding still active (not renewed or revoked meanwhile, R10), valid at
    ``received_at`` and until the window's end (R11); warnings for those expiring within 30 days."""
    warnings = []
    for b in bindings:
        if b.state != BindingState.ACTIVE:
            raise BidRecipientRefused(f"加密证书 {_common_name(b.subject)}（序列号 {b.serial}）已不再有效（已续期、变更或吊销），请用当前的加密证书"
                                      f"重新加密 (the encryption certificate is no longer active: seal the bid to the "
                                      f"current one)", binding=b.id)
        if b.not_after < tender.window_end or b.not_before > received_at:
            raise CertificateExpiresBeforeOpening(
                f"加密证书 {_common_name(b.subject)}（序列号 {b.serial}）于 {beijing(b.not_after)} 到期，早于本项目开标解密结束时间 "
                f"{beijing(tender.window_end)}。{RENEW_ADVICE}", binding=b.id, not_after=b.not_after.isoformat(),
                window_end=tender.window_end.isoformat())
        warning = expiry_warning(b, received_at)
        if warning:
            warnings.append(warning)
    return warnings


def expiry_warning(binding: CertificateBinding, now: datetime) -> str | None:
    """R11's warning from 30 days before a certificate expires."""
    left = binding.not_after - now
    if left > EXPIRY_WARNING:
        return None
    return (f"加密证书 {_common_name(binding.subject)}（序列号 {binding.serial}）将于 {beijing(binding.not_after)} 到期（剩余 {max(left.days, 0)} "
            f"天）。投标待开标期间不能续期（R10）；如需续期，请在投标截止前撤回投标，续期并完成加解密测试后重新提交 "
            f"(the certificate expires within 30 days; it cannot be renewed while a bid made with it is pending)")


def _usable_certificates(uow: UnitOfWork, party_id: int, tender: Tender, now: datetime) -> list[str]:
    """At the start of an upload: at least one bound encryption certificate lasting until the end
    of the decryption window (R11), and the warnings for those expiring soon."""
    bindings = list(uow.session.scalars(select(CertificateBinding).where(
        CertificateBinding.party_id == party_id, CertificateBinding.purpose == CertificatePurpose.ENCRYPTION,
        CertificateBinding.state == BindingState.ACTIVE)))
    usable = [b for b in bindings if b.not_before <= now and b.not_after >= tender.window_end]
    if not usable:
        if bindings:
            last = max(b.not_after for b in bindings)
            raise CertificateExpiresBeforeOpening(
                f"本单位的加密证书最晚于 {beijing(last)} 到期，早于本项目开标解密结束时间 {beijing(tender.window_end)}。"
                f"{RENEW_ADVICE}", window_end=tender.window_end.isoformat())
        raise NoEncryptionCertificate()
    return [w for w in (expiry_warning(b, now) for b in usable) if w]


def _current_bid(uow: UnitOfWork, tender_id: int, party_id: int) -> Bid | None:
    return uow.session.scalars(select(Bid).where(Bid.tender_id == tender_id, Bid.party_id == party_id,
                                                 Bid.state == BidState.SUBMITTED)
                               .execution_options(populate_existing=True)).first()


def _close(uow: UnitOfWork, store: BidStore, upload: BidUpload, state: UploadState,
           refusal: DomainError | None) -> None:
    """End an upload that did not become a bid (refused, expired, cancelled): recorded and
    audited, its bytes removed."""
    with uow:
        upload.state, upload.finished_at = state, uow.clock.now()
        if refusal is not None:
            upload.refusal_code, upload.refusal_message = refusal.code, refusal.message[:2000]
        uow.audit(f"bid.upload_{state.value}", upload, reason=refusal.code if refusal is not None else None,
                  received=upload.received, size=upload.size)
        uow.commit()
    store.discard_upload(upload.public_id)


def _sign(receipts: ReceiptsFactory, fields: Any, now: datetime) -> bytes:
    try:
        return receipts().issue(fields, signing_time=now)
    except PkiError as exc:
        log.error("receipt for bid %s not signed: %s", fields.bid, exc.code, exc_info=exc)
        raise ReceiptsUnavailable(reason=exc.code) from None


# -- withdrawing ----------------------------------------------------------------------------------------------
def withdraw_bid(uow: UnitOfWork, account: Account, bid_id: str, *, receipts: ReceiptsFactory) -> Submission:
    """Withdraw a submitted bid strictly before the deadline (R17), with a receipt; the envelope
    stays in the store and the bid in the audit log."""
    with uow:
        bid = own_bid(uow, account, bid_id)
        _serialise_bidder(uow, bid)
        uow.session.refresh(bid)
        if bid.state is not BidState.SUBMITTED:
            raise BidNotPending(state=bid.state.value)
        tender = uow.session.get(Tender, bid.tender_id, populate_existing=True)
        now = uow.clock.now()
        if tender.phase(now) is not TenderPhase.OPEN:
            raise DeadlinePassed(deadline=tender.bid_deadline.isoformat())
        bid.state, bid.withdrawn_at = BidState.WITHDRAWN, now
        party = uow.session.get(Party, bid.party_id)
        der = _sign(receipts, receipt_fields(tender, bid, party, action=WITHDRAWN, at=now), now)
        uow.session.add(BidReceipt(bid_id=bid.id, action=WITHDRAWN, received_at=now, issued_at=now, der=der))
        uow.audit("bid.withdrawn", bid, tender=tender.public_id, party_id=party.id, sha256=bid.sha256,
                  withdrawn_at=now.isoformat())
        uow.commit()
        return Submission(bid, der)


def _serialise_bidder(uow: UnitOfWork, bid: Bid) -> None:
    session = uow.session
    if session.connection().dialect.name == "sqlite":
        session.execute(update(Bid.__table__).where(Bid.__table__.c.id == bid.id).values(state=Bid.__table__.c.state))
    else:
        session.execute(select(Party.id).where(Party.id == bid.party_id).with_for_update(key_share=True))


# -- reading --------------------------------------------------------------------------------------------------
def own_bid(uow: UnitOfWork, account: Account, bid_id: str) -> Bid:
    """The bid if it is the acting party's (anyone else: not found, nothing confirmed)."""
    party_id = _supplier(account, BidNotFound)
    bid = uow.session.scalars(select(Bid).where(Bid.public_id == str(bid_id)[:40])).first()
    if bid is None or bid.party_id != party_id:
        raise BidNotFound(bid=str(bid_id)[:40])
    return bid


def own_bids(uow: UnitOfWork, account: Account, tender_id: Any | None = None) -> list[Bid]:
    """The acting party's bids (every state), newest first; of one tender when given."""
    party_id = _supplier(account)
    query = select(Bid).where(Bid.party_id == party_id)
    if tender_id is not None:
        query = query.where(Bid.tender_id == load_tender(uow, tender_id).id)
    return list(uow.session.scalars(query.order_by(Bid.received_at.desc(), Bid.id.desc())))


def receipts_of(uow: UnitOfWork, bid: Bid) -> dict[str, BidReceipt]:
    """The bid's receipts by action (``submitted``, and ``withdrawn`` once withdrawn)."""
    return {r.action: r for r in uow.session.scalars(select(BidReceipt).where(BidReceipt.bid_id == bid.id))}


def receipt_of(uow: UnitOfWork, account: Account, bid_id: str, action: str = SUBMITTED) -> tuple[Bid, bytes]:
    """A receipt's DER, for the bidder only."""
    bid = own_bid(uow, account, bid_id)
    receipt = receipts_of(uow, bid).get(action)
    if receipt is None:
        raise BidNotFound("该投标没有这份回执 (the bid has no such receipt)", bid=bid.public_id, action=action)
    return bid, receipt.der


def tender_bids(uow: UnitOfWork, account: Account, tender_id: Any) -> TenderBids:
    """What the tender's agency (and supervisors) see before the opening: the submitted bids'
    bidders, sizes and times of receipt; never their content."""
    tender = load_tender(uow, tender_id)
    if not (account.role == Role.SUPERVISOR or (account.role == Role.AGENCY_STAFF
                                                and account.party_id == tender.agency_id)):
        raise BidsNotVisible(tender=tender.public_id)
    rows = uow.session.execute(select(Bid, Party.name).join(Party, Party.id == Bid.party_id).where(
        Bid.tender_id == tender.id, Bid.state != BidState.REPLACED, Bid.state != BidState.WITHDRAWN)
        .order_by(Bid.received_at, Bid.id)).all()
    bids = [BidSummary(name, bid.size, bid.received_at, bid.state) for bid, name in rows]
    return TenderBids(tender, len(bids), bids)


def envelope_path(uow: UnitOfWork, store: BidStore, bid: Bid) -> Path:
    """Where the bid's envelope is, for the opening: refused before the tender's opening time."""
    tender = uow.session.get(Tender, bid.tender_id)
    if tender.phase(uow.clock.now()).rank < TenderPhase.OPENING.rank:
        raise Conflict("开标前任何人都不能取得投标文件 (nobody gets a bid's envelope before the opening)",
                       bid=bid.public_id)
    return store.envelope_path(bid.sha256)


# -- the steps ------------------------------------------------------------------------------------------------
def _supplier(account: Account, refusal: type[DomainError] = OnlySuppliers) -> int:
    if account is None or account.role != Role.SUPPLIER_STAFF or account.party_id is None:
        raise refusal()
    return account.party_id


def _require_open(tender: Tender, now: datetime) -> None:
    phase = tender.phase(now)
    if phase is TenderPhase.OPEN:
        return
    if phase is TenderPhase.DRAFT:
        raise TenderNotOpen(phase=phase.value)
    raise DeadlinePassed(f"投标截止时间 {beijing(tender.bid_deadline)} 已到，不再接受投标 (the bid deadline has passed)",
                         deadline=tender.bid_deadline.isoformat())


def _require_unexpired(uow: UnitOfWork, store: BidStore, upload: BidUpload) -> None:
    """An unfinished upload past its expiry or the bid deadline is closed here (its bytes removed).
    One whose last byte arrived in time may still be finished (a chunk of 0 bytes)."""
    if upload.received == upload.size and upload.last_byte_at is not None:
        return
    tender = uow.session.get(Tender, upload.tender_id, populate_existing=True)
    if uow.clock.now() >= upload_expiry(upload, tender):
        _close(uow, store, upload, UploadState.REFUSED, UploadExpired())
        raise UploadExpired(deadline=tender.bid_deadline.isoformat() if tender.bid_deadline else None)


def _common_name(subject: str) -> str:
    """The subject's common name (asn1crypto's human-friendly form), else the whole subject."""
    for part in subject.split(", "):
        if part.startswith("Common Name: "):
            return part.removeprefix("Common Name: ")
    return subject


def _require_receiving(upload: BidUpload) -> None:
    if upload.state is not UploadState.RECEIVING:
        details: dict[str, Any] = {"state": upload.state.value}
        if upload.refusal_code:
            details["refusal"] = upload.refusal_code
        raise UploadClosed(**details)


__all__ = ["start_upload", "receive_chunk", "upload_status", "cancel_upload", "own_upload", "purge_expired_uploads",
           "withdraw_bid", "own_bid", "own_bids", "receipts_of", "receipt_of", "tender_bids", "envelope_path",
           "upload_expiry", "expiry_warning", "StartedUpload", "Submission", "ChunkOutcome", "BidSummary",
           "TenderBids", "BidRefused", "BidNotEncrypted", "BidEnvelopeMalformed", "BidDigestMismatch", "UploadLost",
           "BidRecipientRefused", "CertificateExpiresBeforeOpening", "NoEncryptionCertificate", "DeadlinePassed",
           "TenderNotOpen", "BidNotFound", "BidNotPending", "OnlySuppliers", "BidsNotVisible", "ReceiptsUnavailable"]
