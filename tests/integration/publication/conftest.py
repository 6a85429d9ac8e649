"""Tenders over the session's development CA (support.stamping, support.tenders.TenderSteps, as in
tests/integration/tenders), and the OCDS validator (libcoveocds) working on the OCDS 1.1.5 schema
files pinned in tests/vectors/ocds/ (their README says where they come from), with the network
shut while it runs: the suite proves the package valid without fetching anything."""
from __future__ import annotations

import io
import socket
import zipfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from support.stamping import agency_signer, bound, ca, purchaser_signer, world  # noqa: F401  (fixtures)
from support.tenders import TenderSteps

STANDARD = Path(__file__).resolve().parents[2] / "vectors" / "ocds" / "1__1__5"


@pytest.fixture
def steps(world, bound, purchaser_signer, agency_signer, clock) -> TenderSteps:  # noqa: F811  (the fixtures above)
    app, _, parties = world
    return TenderSteps(app, parties, bound, purchaser_signer, agency_signer, clock)


def standard_zip() -> bytes:
    """The pinned schema folder as the ZIP of the standard's repository that libcoveocds (through
    ocdsextensionregistry's ProfileBuilder, ``standard_zip``) reads: ``<top>/schema/…``."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("standard-1__1__5/", "")
        for path in sorted(STANDARD.rglob("*")):
            if path.is_file():
                archive.write(path, "standard-1__1__5/" + path.relative_to(STANDARD).as_posix())
    return out.getvalue()


@contextmanager
def no_network():
    """Any attempt to open a connection fails (the validator must need none)."""
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise OSError("network access during OCDS validation")
    original, original_create = socket.socket.connect, socket.create_connection
    socket.socket.connect, socket.create_connection = refuse, refuse
    try:
        yield
    finally:
        socket.socket.connect, socket.create_connection = original, original_create


@pytest.fixture(scope="session")
def ocds_review():
    """``review(package) -> dict``: libcoveocds's report of an OCDS package (offline)."""
    from libcoveocds.api import ocds_json_output
    from libcoveocds.config import LibCoveOCDSConfig
    archive = standard_zip()

    def review(package: dict[str, Any]) -> dict[str, Any]:
        config = LibCoveOCDSConfig({"standard_zip": archive, "context": "api"})
        with no_network():
            return ocds_json_output("", json_data=package, lib_cove_ocds_config=config, record_pkg=False)
    return review


@pytest.fixture(scope="session")
def ocds_problems(ocds_review):
    """``problems(package) -> dict``: what makes a package invalid or not plain OCDS 1.1 in
    libcoveocds's report (schema errors, values outside closed codelists, fields the schema does
    not define); empty for a good package."""
    def problems(package: dict[str, Any]) -> dict[str, Any]:
        report = ocds_review(package)
        found = {"validation_errors": report.get("validation_errors") or [],
                 "additional_closed_codelist_values": report.get("additional_closed_codelist_values") or {},
                 "additional_fields": report.get("all_additional_fields") or report.get("additional_fields") or {}}
        return {k: v for k, v in found.items() if v}
    return problems
