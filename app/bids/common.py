"""What the bid pages and the bid API share: the bid store, the upload limits, and the receipt
issuer (the platform's receipt certificate ``receipt.pem`` / ``receipt.key.pem`` / ``chain.pem`` in
``PLATFORM_CERT_DIR``, default ``<DEVCA_DIR>/platform``, made by ``flask setup-dev``; timestamps from
the platform's own ``/tsa`` authority). ``BID_RECEIPTS_FACTORY`` in the settings (a callable taking
the app) replaces the issuer, e.g. with a token key in production."""
from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

from flask import current_app

from app.pkiweb.tsa import time_stamp_authority
from bidding.bids.receipts import PlatformReceipts, ReceiptIssuer
from bidding.bids.uploads import BidStore, UploadLimits
from bidding.errors import DomainError
from pki.certs import load_certificate, load_certificates
from pki.errors import PkiError
from pki.keyops import FileKey
from pki.keys import load_private_key

_lock = threading.Lock()


class ReceiptCertificateMissing(DomainError):
    code = "receipts_unavailable"
    message = ("平台回执签名证书尚未配置，暂不能接收投标 (the platform's receipt certificate is not set up: bids cannot be "
               "accepted now)")
    http_status = 503


def bid_store() -> BidStore:
    root = current_app.config.get("BID_STORE_DIR") or Path(current_app.config["FILE_STORE"]) / "bids"
    return BidStore(root)


def upload_limits() -> UploadLimits:
    config = current_app.config
    return UploadLimits(max_size=int(config["BID_MAX_SIZE"]), max_chunk=int(config["BID_MAX_CHUNK"]),
                        lifetime=timedelta(seconds=float(config["BID_UPLOAD_LIFETIME_SECONDS"])))


def receipt_issuer() -> ReceiptIssuer:
    """The application's receipt issuer, built once (thread-safe) and kept on the app."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    issuer = app.extensions.get("bid_receipts")
    if issuer is None:
        with _lock:
            issuer = app.extensions.get("bid_receipts")
            if issuer is None:
                factory = app.config.get("BID_RECEIPTS_FACTORY") or _platform_receipts
                issuer = factory(app)
                app.extensions["bid_receipts"] = issuer
    return issuer


def _platform_receipts(app) -> PlatformReceipts:  # type: ignore[no-untyped-def]
    directory = Path(app.config.get("PLATFORM_CERT_DIR") or Path(app.config["DEVCA_DIR"]) / "platform")
    try:
        certificate = load_certificate((directory / "receipt.pem").read_bytes())
        key = FileKey(load_private_key((directory / "receipt.key.pem").read_bytes()))
        chain_file = directory / "chain.pem"
        chain = load_certificates(chain_file.read_bytes()) if chain_file.is_file() else []
    except (OSError, PkiError):
        app.logger.error("receipt certificate missing in %s (run `flask setup-dev`)", directory)
        raise ReceiptCertificateMissing(directory=str(directory)) from None
    return PlatformReceipts(key=key, certificate=certificate, chain=tuple(chain),
                            tsa=lambda request: time_stamp_authority().respond(request))
