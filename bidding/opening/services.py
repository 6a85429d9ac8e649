"""Use cases of the opening's decryption (docs/opening.md "The bidder's step", "When the window
closes"):

- :func:`release_recipient_info`: in the window, a bidder gets the RecipientInfos of its submitted
  bid, the tender's opening certificate and a one-time context (the opening key is made on the
  first such request);
- :func:`submit_key`: the bidder hands back the content key sealed to the opening certificate, with
  its signed key-release statement; the platform checks everything, opens the bid with the content
  key and keeps the opened files under the bid store's ``opened/<tender>/<bid>/``;
- :func:`close_window`: R15 for every bid still submitted, the opening key erased; idempotent.

A platform fault (the store unreadable, the opening key missing) is recorded on the bid
(``platform_error``) in its own transaction before the 503: at the close that bid is withdrawn
(撤回), not revoked (撤销). Every other refusal changes nothing.
"""
from __future__ import annotations

import hashlib
import io
import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bidding.accounts.models import Account, Role
from bidding.bids.errors import OutputRefused, PackageError
from bidding.bids.models import Bid, BidRecipient, BidState
from bidding.bids.sealing import open_bid
from bidding.bids.uploads import BidStore
from bidding.certificates.models import (
    BindingState,
    CertificateBinding,
    CertificatePurpose,
)
from bidding.notify import notify
from bidding.opening.errors import (
    AlreadyDecrypted,
    BidPackageRefused,
    KeyReleaseInvalid,
    KeyReleaseMismatch,
    KeyReleaseSignatureInvalid,
    KeyReleaseSignerNotBidder,
    NoBidToOpen,
    OnlyBidders,
    OpeningContextInvalid,
    OpeningNotStarted,
    OpeningPlatformError,
    OpeningWindowClosed,
    WrongContentKey,
)
from bidding.opening.events import lock_hall, record_hall_event
from bidding.opening.keys import (
    Keyring,
    destroy_opening_key,
    ensure_opening_key,
    find_opening_key,
    opening_private_key,
)
from bidding.opening.locks import lock_or_make
from bidding.opening.models import BidOpening, OpeningKey, OpeningState
from bidding.opening.statement import KeyRelease, read_key_release, sha256_hex
from bidding.parties.models import Party
from bidding.tenders.access import load_tender
from bidding.tenders.models import Tender, TenderPhase
from bidding.uow import UnitOfWork
from pki import envelope, signature
from pki.certs import fingerprint_sha256, load_certificate
from pki.errors import PkiError
from pki.receipts.canonical import canonical_json

log = logging.getLogger(__name__)

#: Where the opened bids are kept in the bid store: ``opened/<tender public id>/<bid public id>/``.
OPENED_DIR = "opened"


@dataclass(frozen=True)
class OpeningSupport:
    """What the opening needs from outside the domain: the bid store, the opening keyring, and for
    checking the bidders' signatures the trust list and CRLs (``trust``: a
    :class:`pki.trust.TrustList`)."""

    store: BidStore
    keyring: Keyring
    trust: Any = None
    crls: Sequence[bytes] = ()


@dataclass(frozen=True)
class ReleasedRecipient:
    binding_id: int
    certificate_sha256: str
    recipient_info: bytes


@dataclass(frozen=True)
class Release:
    """The answer of :func:`release_recipient_info`."""

    bid: Bid
    context: str
    recipient_infos: list[ReleasedRecipient]
    opening_certificate: bytes
    expires_at: datetime


@dataclass(frozen=True)
class CloseReport:
    decrypted: int
    failed: int
    invalid: int
    withdrawn: int
    closed_now: bool


class _PlatformFault(Exception):
    """Raised inside a transaction; recorded on the bid outside it (see the module's docstring)."""

    def __init__(self, bid_id: int, reason: str, message: str):
        super().__init__(reason)
        self.bid_id, self.reason, self.message = bid_id, reason, message


# -- release ------------------------------------------------------------------------------------------
def release_recipient_info(uow: UnitOfWork, account: Account, tender_id: Any, *, support: OpeningSupport) -> Release:
    """In the decryption window, the RecipientInfos of the account's party's submitted bid and a
    fresh one-time context (a new release replaces the previous context)."""
    try:
        with uow:
            party_id = _bidder(account)
            tender = load_tender(uow, tender_id)
            now = uow.clock.now()
            require_window(tender, now)
            bid = _submitted_bid(uow, tender, party_id)
            opening = lock_opening(uow, bid)
            key = ensure_opening_key(uow, tender, support.keyring)
            released = _recipients(uow, bid, _stored_recipient_infos(support.store, bid))
            opening.context = secrets.token_urlsafe(32)
            opening.released_at, opening.released_to = now, account.id
            opening.recipient_binding_id = released[0].binding_id if len(released) == 1 else None
            if opening.state is OpeningState.AWAITING:
                opening.state = OpeningState.RELEASED
            uow.audit("opening.recipient_info_released", bid, tender=tender.public_id,
                      bindings=[r.binding_id for r in released])
            uow.commit()
            return Release(bid, opening.context, released, key.certificate_der, tender.window_end)
    except _PlatformFault as fault:
        raise _record_platform_fault(uow, fault) from None


def _stored_recipient_infos(store: BidStore, bid: Bid) -> list:
    try:
        return envelope.recipient_infos(store.envelope_path(bid.sha256))
    except (OSError, envelope.EnvelopeError) as exc:
        log.error("bid %s: stored envelope unreadable: %s", bid.public_id, type(exc).__name__)
        raise _PlatformFault(bid.id, "envelope_unreadable", "投标文件存储不可读 (the stored envelope cannot be read)")


def _recipients(uow: UnitOfWork, bid: Bid, infos: list) -> list[ReleasedRecipient]:
    """Each bound certificate the envelope names, with the RecipientInfo addressed to it."""
    rows = uow.session.execute(select(BidRecipient, CertificateBinding)
                               .join(CertificateBinding, CertificateBinding.id == BidRecipient.binding_id)
                               .where(BidRecipient.bid_id == bid.id).order_by(BidRecipient.id)).all()
    out = []
    for recipient, binding in rows:
        try:
            ri = envelope.find_recipient_info(infos, load_certificate(binding.certificate_der))
        except PkiError:
            continue
        out.append(ReleasedRecipient(binding.id, recipient.fingerprint_sha256, ri.dump()))
    if not out:
        raise _PlatformFault(bid.id, "recipients_missing", "投标文件中找不到投标人证书的接收者信息 (the stored envelope "
                                                           "names none of the bid's certificates)")
    return out


# -- submit ---------------------------------------------------------------------------------------------
def submit_key(uow: UnitOfWork, account: Account, tender_id: Any, bid_public_id: str, sealed_key: bytes,
               statement: bytes, statement_signature: bytes, *, support: OpeningSupport) -> BidOpening:
    """Check the key release and open the bid (see docs/opening.md for every check). Outcomes: the
    bid DECRYPTED (returned); :class:`WrongContentKey` (nothing changed, retry allowed);
    :class:`BidPackageRefused` after the bid was recorded DECRYPTION_FAILED; a platform fault
    recorded and answered :class:`OpeningPlatformError`."""
    release = read_key_release(statement)
    try:
        with uow:
            party_id = _bidder(account)
            tender = load_tender(uow, tender_id)
            now = uow.clock.now()
            require_window(tender, now)
            bid = _own_bid(uow, tender, party_id, bid_public_id)
            opening = lock_opening(uow, bid)
            if opening.state.final or bid.state is not BidState.SUBMITTED:
                raise AlreadyDecrypted(state=opening.state.value)
            key_row = find_opening_key(uow, tender.id)
            _check_statement(release, opening, key_row, sealed_key, support.store, bid)
            _check_unwrapped_with(uow, release, bid)
            signer = _check_signer(uow, support, statement, statement_signature, party_id, now)
            content_key = _content_key(sealed_key, key_row, support.keyring, bid)
            party = uow.session.get(Party, party_id)
            outcome = _open(support.store, tender, bid, party, content_key, support.trust, now)
            opening.context, opening.signer_binding_id = None, signer.id
            opening.attempts += 1
            if isinstance(outcome, PackageError):
                _failed(uow, tender, bid, opening, outcome)
                uow.commit()
                raise BidPackageRefused(f"{BidPackageRefused.message}：{outcome}", bid=bid.public_id)
            _decrypted(uow, tender, bid, opening, outcome, now)
            uow.commit()
            return opening
    except _PlatformFault as fault:
        raise _record_platform_fault(uow, fault) from None


def _check_statement(release: KeyRelease, opening: BidOpening, key_row: OpeningKey | None, sealed_key: bytes,
                     store: BidStore, bid: Bid) -> None:
    if opening.context is None or not secrets.compare_digest(release.context, opening.context):
        raise OpeningContextInvalid(bid=bid.public_id)
    if release.envelope_sha256 != sha256_hex(sealed_key):
        raise KeyReleaseMismatch("密钥释放声明中的信封摘要与提交的信封不符 (the statement's envelope_sha256 is not the "
                                 "envelope's)", field="envelope_sha256")
    if key_row is None or release.opening_certificate_sha256 != key_row.fingerprint_sha256:
        raise KeyReleaseMismatch("密钥释放声明不是对本项目开标证书作出的 (the statement names another opening "
                                 "certificate)", field="opening_certificate_sha256")
    infos = {sha256_hex(ri.dump()) for ri in _stored_recipient_infos(store, bid)}
    if release.recipient_info_sha256 not in infos:
        raise KeyReleaseMismatch("密钥释放声明中的接收者信息不属于该投标 (the statement's RecipientInfo is not this "
                                 "bid's)", field="recipient_info_sha256")


def _check_unwrapped_with(uow: UnitOfWork, release: KeyRelease, bid: Bid) -> None:
    recipients = set(uow.session.scalars(select(BidRecipient.fingerprint_sha256).where(BidRecipient.bid_id == bid.id)))
    if release.unwrapped_with not in recipients:
        raise KeyReleaseMismatch("密钥释放声明中的解密证书不是该投标的接收者 (the statement's decryption certificate is "
                                 "not a recipient of this bid)", field="unwrapped_with")


def _check_signer(uow: UnitOfWork, support: OpeningSupport, statement: bytes, sig: bytes, party_id: int,
                  now: datetime) -> CertificateBinding:
    """The one signer's certificate must verify, chain to the trust list now, and be an active
    signing binding of the bidder's party."""
    trust = support.trust
    try:
        result = signature.verify(sig, content=statement, trust_roots=trust.roots, intermediates=trust.intermediates,
                                  at=now, crls=support.crls, revocation="soft-fail")
    except PkiError as exc:
        raise KeyReleaseSignatureInvalid(f"{KeyReleaseSignatureInvalid.message}：{exc}") from None
    if len(result.signers) != 1:
        raise KeyReleaseSignatureInvalid("密钥释放声明须恰有一个签名者 (the statement must have exactly one signer)",
                                         signers=len(result.signers))
    if not result.ok or result.signer_certificate is None:
        raise KeyReleaseSignatureInvalid(f"{KeyReleaseSignatureInvalid.message}：{result.message()}",
                                         reasons=[r.code for r in result.reasons][:10])
    fingerprint = fingerprint_sha256(result.signer_certificate)
    binding = uow.session.scalars(select(CertificateBinding).where(
        CertificateBinding.party_id == party_id, CertificateBinding.fingerprint_sha256 == fingerprint,
        CertificateBinding.state == BindingState.ACTIVE, CertificateBinding.purpose == CertificatePurpose.SIGNING)
    ).first()
    if binding is None:
        raise KeyReleaseSignerNotBidder(signer=fingerprint)
    return binding


def _content_key(sealed_key: bytes, key_row: OpeningKey | None, keyring: Keyring, bid: Bid) -> bytes:
    try:
        key, cert = opening_private_key(key_row, keyring)
    except OpeningPlatformError as exc:
        raise _PlatformFault(bid.id, exc.details.get("reason", "opening_key_missing"), exc.message) from None
    try:
        out = io.BytesIO()
        envelope.decrypt_stream(io.BytesIO(sealed_key), out, key=key, certificate=cert)
    except PkiError as exc:
        raise KeyReleaseInvalid("提交的信封无法用本项目开标密钥打开 (the envelope submitted does not open with this "
                                f"tender's opening key: {exc.code})", reason=exc.code) from None
    content_key = out.getvalue()
    if len(content_key) not in (16, 24, 32):
        raise WrongContentKey(length=len(content_key))
    return content_key


def _open(store: BidStore, tender: Tender, bid: Bid, party: Party, content_key: bytes, trust: Any, now: datetime):
    """The opened bid, or the :class:`PackageError` of a package that failed its checks (the
    bidder's fault). A wrong content key raises :class:`WrongContentKey`; the store's faults are
    the platform's."""
    path = store.envelope_path(bid.sha256)
    _check_stored(path, bid)
    try:
        return open_bid(path, opened_dir(store, tender, bid), content_key=content_key, trust_roots=trust.roots,
                        intermediates=trust.intermediates, identify=_identify(trust), expect_tender=tender.public_id,
                        expect_bidder=party.credit_code, at=now, replace=True)
    except OutputRefused as exc:
        log.error("bid %s: opened folder refused: %s", bid.public_id, exc)
        raise _PlatformFault(bid.id, "opened_store_refused", "解密结果无法写入存储 (the opened files cannot be "
                                                             "written)") from None
    except PackageError as exc:
        return exc
    except envelope.EnvelopeError:
        raise WrongContentKey(bid=bid.public_id) from None
    except OSError as exc:
        log.error("bid %s: store error while opening: %s", bid.public_id, type(exc).__name__)
        raise _PlatformFault(bid.id, "store_error", "投标文件存储读写失败 (the bid store failed)") from None


def _check_stored(path: Path, bid: Bid) -> None:
    """The stored envelope is the one received (its SHA-256): a damaged store is the platform's
    fault, and once it is intact a decryption failure is the key's."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        log.error("bid %s: stored envelope unreadable: %s", bid.public_id, type(exc).__name__)
        raise _PlatformFault(bid.id, "envelope_unreadable", "投标文件存储不可读 (the stored envelope cannot be read)")
    if digest.hexdigest() != bid.sha256:
        log.error("bid %s: stored envelope damaged (SHA-256 differs)", bid.public_id)
        raise _PlatformFault(bid.id, "envelope_damaged", "存储的投标文件已损坏 (the stored envelope is damaged)")


def _identify(trust: Any) -> Callable[[Any], str | None]:
    def identify(cert: Any) -> str | None:
        try:
            identity = trust.identity(cert)
        except PkiError:
            return None
        return identity.credit_code or identity.id_number
    return identify


def opened_dir(store: BidStore, tender: Tender, bid: Bid) -> Path:
    """Where an opened bid's files are kept (``files/``, ``manifest.json``, ``manifest.sig``)."""
    return store.root / OPENED_DIR / tender.public_id / bid.public_id


def _decrypted(uow: UnitOfWork, tender: Tender, bid: Bid, opening: BidOpening, opened: Any, now: datetime) -> None:
    manifest = opened.manifest
    opening.state, opening.decrypted_at = OpeningState.DECRYPTED, now
    opening.price, opening.currency = format(manifest.price, "f"), manifest.currency
    declared = [{"name": name, "value": value} for name, value in manifest.items]   # the 开标一览表's items
    opening.items = canonical_json(declared + [f.as_dict() for f in manifest.files]).decode("utf-8")
    opening.manifest_sha256 = hashlib.sha256(manifest.canonical()).hexdigest()
    opening.failure_code = opening.failure_message = None
    bid.state = BidState.DECRYPTED
    record_hall_event(uow, tender, "opening.bid_decrypted", {"bid": bid.public_id})


def _failed(uow: UnitOfWork, tender: Tender, bid: Bid, opening: BidOpening, error: PackageError) -> None:
    opening.state, opening.failure_code = OpeningState.FAILED, type(error).__name__
    opening.failure_message = str(error)[:2000]
    bid.state = BidState.DECRYPTION_FAILED
    record_hall_event(uow, tender, "opening.bid_decryption_failed", {"bid": bid.public_id,
                                                                     "reason": opening.failure_message[:500]})


def _record_platform_fault(uow: UnitOfWork, fault: _PlatformFault) -> OpeningPlatformError:
    """Record the platform's fault on the bid (R15) in a transaction of its own; the error to raise."""
    with uow:
        bid = uow.session.get(Bid, fault.bid_id)
        opening = lock_opening(uow, bid)
        now = uow.clock.now()
        opening.platform_error, opening.platform_error_at = True, now
        opening.failure_code, opening.failure_message = fault.reason, fault.message
        uow.audit("opening.platform_error", bid, reason=fault.reason)
        uow.commit()
    return OpeningPlatformError(bid=bid.public_id, reason=fault.reason)


# -- the window's close (R15) -------------------------------------------------------------------------------
WindowClosedListener = Callable[[UnitOfWork, Tender], None]
_closed_listeners: list[WindowClosedListener] = []


def register_window_closed_listener(listener: WindowClosedListener) -> WindowClosedListener:
    """Run ``listener(uow, tender)`` inside :func:`close_window`'s transaction, once per tender (the
    opening record, :mod:`bidding.opening.record`, registers here)."""
    if listener not in _closed_listeners:
        _closed_listeners.append(listener)
    return listener


def close_window(uow: UnitOfWork, tender_id: Any, keyring: Keyring | None = None) -> CloseReport:
    """R15 once the window is over: every bid still submitted becomes WITHDRAWN (a platform error
    is on record for it) or INVALID; the opening key is destroyed (on ``keyring``'s token, where it
    was made there); hall event
    ``opening.window_closed``; each bidder is told its result. Harmless when run again."""
    with uow:
        tender = load_tender(uow, tender_id)
        if tender.phase(uow.clock.now()) is not TenderPhase.OPENED:
            raise OpeningWindowClosed("解密时限尚未结束 (the decryption window is not over yet)",
                                      window_end=tender.window_end.isoformat() if tender.window_end else None)
        hall = lock_hall(uow.session, tender.id)
        if hall.closed_at is not None:
            report = _report(uow, tender, closed_now=False)
            uow.rollback()
            return report
        now = uow.clock.now()
        for bid in uow.session.scalars(select(Bid).where(Bid.tender_id == tender.id, Bid.state == BidState.SUBMITTED)
                                       .order_by(Bid.id)):
            opening = lock_opening(uow, bid)
            opening.state = OpeningState.WITHDRAWN if opening.platform_error else OpeningState.INVALID
            opening.context, opening.closed_at = None, now
            bid.state = BidState.WITHDRAWN if opening.platform_error else BidState.INVALID
        destroy_opening_key(uow, tender, keyring)
        hall.closed_at = now
        report = _report(uow, tender, closed_now=True)
        record_hall_event(uow, tender, "opening.window_closed", {
            "decrypted": report.decrypted, "failed": report.failed, "invalid": report.invalid,
            "withdrawn": report.withdrawn})
        _tell_results(uow, tender)
        for listener in tuple(_closed_listeners):
            listener(uow, tender)
        uow.commit()
        return report


def _report(uow: UnitOfWork, tender: Tender, *, closed_now: bool) -> CloseReport:
    states = list(uow.session.scalars(select(BidOpening.state).join(Bid, Bid.id == BidOpening.bid_id)
                                      .where(BidOpening.tender_id == tender.id,
                                             Bid.state.notin_([BidState.REPLACED]))))
    count = {s: states.count(s) for s in OpeningState}
    return CloseReport(count[OpeningState.DECRYPTED], count[OpeningState.FAILED], count[OpeningState.INVALID],
                       count[OpeningState.WITHDRAWN], closed_now)


_RESULTS = {
    OpeningState.DECRYPTED: "您的投标已成功解密 (your bid was decrypted)",
    OpeningState.FAILED: "您的投标解密后核验未通过，按解密失败处理 (your bid failed its checks after decryption)",
    OpeningState.INVALID: "您的投标未在解密时限内解密，视为撤销投标 (R15) (your bid was not decrypted in time: revoked)",
    OpeningState.WITHDRAWN: "因平台原因您的投标未能解密，视为撤回投标 (R15) (your bid could not be decrypted through the "
                            "platform's fault: withdrawn)",
}


def _tell_results(uow: UnitOfWork, tender: Tender) -> None:
    rows = uow.session.execute(select(Bid.party_id, BidOpening.state).join(BidOpening, BidOpening.bid_id == Bid.id)
                               .where(Bid.tender_id == tender.id)).all()
    for party_id, state in rows:
        notify(uow, party_id=party_id, subject=f"开标解密结果：{tender.title}"[:200], text=_RESULTS[state])


# -- shared steps --------------------------------------------------------------------------------------------
def require_window(tender: Tender, now: datetime) -> None:
    """The decryption window: from ``opening_at`` (inclusive) to ``window_end`` (exclusive)."""
    phase = tender.phase(now)
    if phase is TenderPhase.OPENING:
        return
    if phase is TenderPhase.OPENED:
        raise OpeningWindowClosed(window_end=tender.window_end.isoformat())
    raise OpeningNotStarted(opening_at=tender.opening_at.isoformat() if tender.opening_at else None)


def _bidder(account: Account) -> int:
    if account is None or account.role != Role.SUPPLIER_STAFF or account.party_id is None:
        raise OnlyBidders()
    return account.party_id


def _submitted_bid(uow: UnitOfWork, tender: Tender, party_id: int) -> Bid:
    bid = uow.session.scalars(select(Bid).where(Bid.tender_id == tender.id, Bid.party_id == party_id,
                                                Bid.state == BidState.SUBMITTED)).first()
    if bid is None:
        raise NoBidToOpen(tender=tender.public_id)
    return bid


def _own_bid(uow: UnitOfWork, tender: Tender, party_id: int, public_id: Any) -> Bid:
    bid = uow.session.scalars(select(Bid).where(Bid.public_id == str(public_id)[:40])).first()
    if bid is None or bid.party_id != party_id or bid.tender_id != tender.id or bid.state in (
            BidState.REPLACED, BidState.WITHDRAWN):
        raise NoBidToOpen(bid=str(public_id)[:40])
    return bid


def lock_opening(uow: UnitOfWork, bid: Bid) -> BidOpening:
    """The bid's opening row, made if missing, locked until the transaction ends
    (:func:`bidding.opening.locks.lock_or_make`)."""
    return lock_or_make(uow.session, BidOpening, "bid_id", bid.id, lambda: BidOpening(
        bid_id=bid.id, tender_id=bid.tender_id, state=OpeningState.AWAITING, platform_error=False, attempts=0))


def bid_openings(uow: UnitOfWork, tender_id: int) -> list[tuple[Bid, BidOpening | None]]:
    """Every bid of the tender that reached the opening (not replaced or withdrawn before the
    deadline) with its opening row, in order of receipt (for the hall)."""
    rows = uow.session.execute(select(Bid, BidOpening).outerjoin(BidOpening, BidOpening.bid_id == Bid.id)
                               .where(Bid.tender_id == tender_id,
                                      Bid.state.notin_([BidState.REPLACED]),
                                      (Bid.withdrawn_at.is_(None)) | (BidOpening.id.isnot(None)))
                               .order_by(Bid.received_at, Bid.id)).all()
    return [(bid, opening) for bid, opening in rows]


__all__ = [
    "OPENED_DIR",
    "CloseReport",
    "OpeningSupport",
    "Release",
    "ReleasedRecipient",
    "bid_openings",
    "close_window",
    "lock_opening",
    "opened_dir",
    "register_window_closed_listener",
    "release_recipient_info",
    "require_window",
    "submit_key",
]
