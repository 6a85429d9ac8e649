"""Sealing and opening a bid package: manifest → bidder's signature → archive → envelope, and back.

Used by ``bidtool pack/unpack`` on the bidder's machine and, at the opening, by the platform once
the bidder's key has released the content key. The archive streams through the envelope: the
plaintext never lands in a file of its own while sealing.
"""
from __future__ import annotations

import os
import shutil
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

from bidding.bids.archive import UnpackedArchive, archive_size, extract_archive, write_archive
from bidding.bids.errors import PackageError, PackageIntegrityError
from bidding.bids.manifest import FILES_DIR, Manifest, build_manifest

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
             timestamp: Callable[[bytes], bytes] | None = None, progress: Progress | None = None) -> SealedBid:
    """Build the manifest, sign it with ``key`` (the bidder's), and seal the archive into
    ``out_path`` for ``recipients`` (the bidder's encryption certificate first, then any others).
    ``timestamp``, if given, takes the signature DER and returns it with a timestamp token."""
    files = [Path(f) for f in files]
    manifest = build_manifest(files, tender_id=tender_id, bidder_code=bidder_code, price=price,
                              currency=currency, created_at=created_at, bidder_name=bidder_name)
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


def open_bid(envelope_path: Path, out_dir: Path, *, key: KeyOps, certificate: AnyCertificate,
             trust_roots: Sequence[AnyCertificate], intermediates: Sequence[AnyCertificate] = (),
             identify: Callable[[AnyCertificate], str | None], expect_tender: str | None = None,
             expect_bidder: str | None = None, at: datetime | None = None,
             progress: Progress | None = None) -> OpenedBid:
    """Decrypt, extract, and check everything: every file's size and digests against the
    manifest, the manifest's signature and the signer's chain, and that the signer is the bidder
    the manifest names (``identify`` reads the credit code or ID number from a certificate)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = out_dir / f".staging-{os.getpid()}"
    archive = out_dir / f".archive-{os.getpid()}.tar"
    try:
        envelope.decrypt_file(envelope_path, archive, key=key, certificate=certificate, progress=progress)
        with open(archive, "rb") as fh:
            unpacked = extract_archive(fh, staging)
        return _check_and_publish(unpacked, out_dir, trust_roots=trust_roots, intermediates=intermediates,
                                  identify=identify, expect_tender=expect_tender,
                                  expect_bidder=expect_bidder, at=at)
    finally:
        archive.unlink(missing_ok=True)
        shutil.rmtree(staging, ignore_errors=True)


def _check_and_publish(unpacked: UnpackedArchive, out_dir: Path, *, trust_roots, intermediates, identify,
                       expect_tender, expect_bidder, at) -> OpenedBid:
    manifest = unpacked.manifest
    result = signature.verify(unpacked.signature, content=unpacked.manifest_bytes, trust_roots=trust_roots,
                              intermediates=intermediates, at=at)
    if not result.ok:
        raise PackageIntegrityError(f"投标文件清单签名无效 (the manifest's signature is not valid: {result.message()})")
    signer_code = identify(result.signer_certificate)
    if signer_code != manifest.bidder_code:
        raise PackageIntegrityError(f"签名者不是投标人 (the signer {signer_code or '(no identity)'} is not the bidder "
                           f"{manifest.bidder_code} named in the manifest)")
    if expect_bidder and manifest.bidder_code != expect_bidder:
        raise PackageError(f"投标人不符 (bidder {manifest.bidder_code}, expected {expect_bidder})")
    if expect_tender and manifest.tender_id != expect_tender:
        raise PackageError(f"项目编号不符 (tender {manifest.tender_id}, expected {expect_tender})")
    final_dir = out_dir / "files"
    if final_dir.exists():
        raise PackageError(f"输出目录已有 files/ (the output directory already holds {final_dir})")
    final_dir.mkdir()
    files = []
    for path in unpacked.files:
        target = final_dir / path.name
        os.replace(path, target)
        files.append(target)
    (out_dir / "manifest.json").write_bytes(unpacked.manifest_bytes)
    (out_dir / "manifest.sig").write_bytes(unpacked.signature)
    return OpenedBid(manifest, files, result, signer_code)


__all__ = ["SealedBid", "OpenedBid", "seal_bid", "open_bid", "FILES_DIR"]
