"""Sealing and opening a bid package: manifest → bidder's signature → archive → envelope, and back.

Used by ``bidtool pack/unpack`` on the bidder's machine and, at the opening, by the platform once
the bidder's key has released the content key. The archive streams through the envelope: the
plaintext never lands in a file of its own while sealing.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Callable, Sequence

from pki import envelope, signature
from pki.certs import AnyCertificate
from pki.files import atomic_output
from pki.keyops import KeyOps

from bidding.bids import output
from bidding.bids.archive import ScannedArchive, archive_size, extract_files, scan_archive, write_archive
from bidding.bids.errors import PackageError, PackageIntegrityError
from bidding.bids.manifest import FILES_DIR, MANIFEST_NAME, SIGNATURE_NAME, Manifest, build_manifest

Progress = Callable[[int], None]


@dataclass(frozen=True)
class SealedBid:
    manifest: Manifest
    envelope_path: Path
    envelope_size: int
    cipher: str


def seal_bid(files: Sequence[Path], out_path: Path, *, tender_id: str, bidder_code: str, price: str | Decimal,
             currency: str, created_at: datetime, key: KeyOps, certificate: AnyCertificate,
             chain: Sequence[AnyCertificate] = (), recipients: Sequence[AnyCertificate],
             cipher: str | None = None, gmssl_compat: bool = False, bidder_name: str = "",
             items: Sequence[tuple[str, str]] = (),
             timestamp: Callable[[bytes], bytes] | None = None, progress: Progress | None = None) -> SealedBid:
    """Build the manifest, sign it with ``key`` (the bidder's), and seal the archive into
    ``out_path`` for ``recipients`` (the bidder's encryption certificate first, then any others).
    ``timestamp``, if given, takes the signature DER and returns it with a timestamp token."""
    files = [Path(f) for f in files]
    manifest = build_manifest(files, tender_id=tender_id, bidder_code=bidder_code, price=price,
                              currency=currency, created_at=created_at, bidder_name=bidder_name, items=items)
    sig = signature.sign(manifest.canonical(), key=key, certificate=certificate, chain=chain, detached=True,
                         signing_time=created_at, gmssl_compat=gmssl_compat)
    if timestamp is not None:
        sig = timestamp(sig)
    size = archive_size(manifest, sig)
    read_fd, write_fd = os.pipe()
    failure: list[BaseException] = []

    def produce() -> None:
        try:
            with open(write_fd, "wb", buffering=1 << 20) as sink:
                write_archive(sink, manifest, sig, files)
        except BaseException as exc:  # reported to the caller below
            failure.append(exc)

    writer = threading.Thread(target=produce, name="bid-archive", daemon=True)
    writer.start()
    try:
        with open(read_fd, "rb", buffering=0) as source:
            info = _encrypt(source, out_path, size=size, recipients=recipients, cipher=cipher,
                            gmssl_compat=gmssl_compat, progress=progress)
    except envelope.SourceChanged as exc:
        writer.join()
        if failure:
            raise PackageError(f"打包失败 (packing failed: {failure[0]})") from failure[0]
        raise PackageError(f"投标文件在打包时被修改 (a file changed while it was being packed: {exc})") from exc
    except BaseException:
        writer.join()       # the read end is closed: the writer stops on a broken pipe
        raise
    writer.join()
    if failure:
        out_path.unlink(missing_ok=True)
        raise PackageError(f"打包失败 (packing failed: {failure[0]})") from failure[0]
    return SealedBid(manifest, out_path, out_path.stat().st_size, info.cipher)


def _encrypt(source, out_path: Path, *, size: int, **options) -> envelope.EnvelopeInfo:
    with atomic_output(out_path) as dst:
        return envelope.encrypt_stream(source, dst, size=size, **options)


@dataclass(frozen=True)
class OpenedBid:
    manifest: Manifest
    files: list[Path]
    verification: signature.SignatureVerification
    signer_code: str | None


def open_bid(envelope_path: Path, out_dir: Path, *, key: KeyOps | None = None,
             certificate: AnyCertificate | None = None, content_key: bytes | None = None, trust_roots: Sequence[AnyCertificate], intermediates: Sequence[AnyCertificate] = (),
             identify: Callable[[AnyCertificate], str | None], expect_tender: str | None = None,
             expect_bidder: str | None = None, at: datetime | None = None, replace: bool = False,
             progress: Progress | None = None) -> OpenedBid:
    """Decrypt, check everything, and only then publish ``out_dir`` (``files/``, ``manifest.json``,
    ``manifest.sig``). The order is the point: nothing untrusted is parsed or written out before
    the signature over the raw manifest bytes checked out.

    The envelope is opened with ``key`` and its ``certificate`` (the bidder's), or with a
    ``content_key`` already released (the platform at the opening, docs/opening.md).

    1. decrypt the envelope into a staging folder beside ``out_dir`` (:mod:`bidding.bids.output`);
    2. scan the archive's headers: order, types, no name twice; read manifest.json and
       manifest.sig raw, size-limited (:func:`~bidding.bids.archive.scan_archive`);
    3. verify the signature over those exact bytes, the signer's chain, and read the signer's
       identity (``identify``: the credit code or ID number its certificate names);
    4. parse the manifest with limits (:meth:`Manifest.parse`); the signer must be the bidder it
       names, and the tender and bidder as expected;
    5. extract the files into the staging folder, each size and digest checked while streaming;
    6. publish with one rename; a non-empty ``out_dir`` only with ``replace``.

    Folders above ``out_dir`` that do not exist are made at step 6 only: a refused bid creates no
    folder anywhere (until then the staging folder sits in the nearest existing folder above).
    """
    if content_key is None and (key is None or certificate is None):
        raise TypeError("open_bid needs key and certificate, or content_key")
    with output.staged_output(out_dir, replace=replace) as staging:
        archive_path = staging.path / "archive.tar"
        if content_key is not None:
            envelope.decrypt_with_content_key(envelope_path, archive_path, content_key, progress=progress)
        else:
            envelope.decrypt_file(envelope_path, archive_path, key=key, certificate=certificate, progress=progress)
        with open(archive_path, "rb") as fh:
            archive_path.unlink()       # held open only: never published
            scanned = scan_archive(fh)
            verification, signer_code = _check_signature(scanned, trust_roots=trust_roots,
                                                         intermediates=intermediates, identify=identify, at=at)
            manifest = Manifest.parse(scanned.manifest_bytes)
            _check_parties(manifest, signer_code, expect_tender=expect_tender, expect_bidder=expect_bidder)
            files_fd = staging.subfolder(FILES_DIR.rstrip("/"))
            try:
                extract_files(scanned, manifest, files_fd)
            finally:
                os.close(files_fd)
        staging.write(MANIFEST_NAME, scanned.manifest_bytes)
        staging.write(SIGNATURE_NAME, scanned.signature)
        output.publish(staging, out_dir, replace=replace, owned=OUTPUT_ENTRIES)
    final = Path(out_dir) / FILES_DIR
    return OpenedBid(manifest, [final / f.name for f in manifest.files], verification, signer_code)


OUTPUT_ENTRIES = frozenset({FILES_DIR.rstrip("/"), MANIFEST_NAME, SIGNATURE_NAME})
"""What opening writes into its output folder; ``replace`` replaces these and keeps the rest."""


def _check_signature(scanned: ScannedArchive, *, trust_roots, intermediates, identify, at
                     ) -> tuple[signature.SignatureVerification, str]:
    try:
        result = signature.verify(scanned.signature, content=scanned.manifest_bytes, trust_roots=trust_roots,
                                  intermediates=intermediates, at=at)
    except signature.SignatureError as exc:
        raise PackageIntegrityError(f"投标文件清单签名无效 (the manifest's signature is not valid: {exc})") from exc
    if not result.ok:
        raise PackageIntegrityError(f"投标文件清单签名无效 (the manifest's signature is not valid: {result.message()})")
    if len(result.signers) != 1:
        # One bid, one bidder: a second signer (even a valid one) would make "who signed" ambiguous.
        raise PackageIntegrityError(f"投标文件清单须由投标人一人签名，实有 {len(result.signers)} 个签名者 (the manifest "
                                    f"must carry exactly one signature, the bidder's: it has {len(result.signers)})")
    signer_code = identify(result.signer_certificate)
    if not signer_code:
        raise PackageIntegrityError("签名者证书未载明投标人身份 (the signer's certificate names no credit code "
                                    "or ID number)")
    return result, signer_code


def _check_parties(manifest: Manifest, signer_code: str, *, expect_tender, expect_bidder) -> None:
    if signer_code != manifest.bidder_code:
        raise PackageIntegrityError(f"签名者不是投标人 (the signer {signer_code} is not the bidder "
                                    f"{manifest.bidder_code} named in the manifest)")
    if expect_bidder and manifest.bidder_code != expect_bidder:
        raise PackageError(f"投标人不符 (bidder {manifest.bidder_code}, expected {expect_bidder})")
    if expect_tender and manifest.tender_id != expect_tender:
        raise PackageError(f"项目编号不符 (tender {manifest.tender_id}, expected {expect_tender})")


__all__ = ["SealedBid", "OpenedBid", "seal_bid", "open_bid", "FILES_DIR", "OUTPUT_ENTRIES"]
