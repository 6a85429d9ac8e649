"""What the pages and the API of the parties area share: the staff roles, reading an upload with a
bound, the CRLs the platform holds, and one party's page data."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select

from app import context
from bidding.accounts.models import Role
from bidding.parties import commitment
from bidding.parties.errors import LicenceTooLarge, NoPartyOfAccount
from bidding.parties.models import Party, PartyKind, Registration
from bidding.parties.notices import notices_for_account, unread_count

STAFF = (Role.SUPPLIER_STAFF, Role.AGENCY_STAFF, Role.PURCHASER_STAFF)


def licence_limit() -> int:
    return int(current_app.config["REGISTRATION_LICENCE_MAX_BYTES"])


def read_upload(storage: Any) -> tuple[bytes, str]:
    """The uploaded file's bytes (at most the licence limit: one byte more is refused unread) and name."""
    limit = licence_limit()
    data = storage.stream.read(limit + 1)
    if len(data) > limit:
        raise LicenceTooLarge(f"营业执照文件不得超过 {limit // (1024 * 1024)} MiB (the business licence may have at "
                              f"most {limit} bytes)", max_bytes=limit)
    return data, storage.filename or "licence"


def file_store() -> Path:
    return Path(current_app.config["FILE_STORE"])


def held_crls() -> list[bytes]:
    """The CRLs in the platform's CRL directory (the ones ``/crl/<name>.crl`` serves)."""
    directory = Path(current_app.config["CRL_DIR"])
    return [p.read_bytes() for p in sorted(directory.glob("*.crl"))] if directory.is_dir() else []


def party_view(account) -> dict[str, Any]:
    """The acting account's party with its registration, notices and (suppliers) commitment letter."""
    uow = context.uow()
    party = uow.session.get(Party, account.party_id) if account.party_id is not None else None
    if party is None:
        raise NoPartyOfAccount()
    registration = uow.session.scalars(select(Registration).where(Registration.party_id == party.id)).first()
    notices = notices_for_account(uow, account)
    view: dict[str, Any] = {"party": party, "registration": registration, "notices": notices,
                            "unread_notices": unread_count(notices), "letter": None, "letter_text": None}
    if party.kind == PartyKind.SUPPLIER:
        _, view["letter_text"], view["letter"] = commitment.letter_for(uow, party.id)
    return view
