"""Tenders over the session's development CA (tests/support/stamping.py): the test parties of
support.auth with their accounts, the purchaser's RSA and the agency's EC main keys bound with their
seals, and :class:`support.tenders.TenderSteps` to take a tender through the JSON API."""
import pytest
from support.stamping import agency_signer, bound, ca, purchaser_signer, world  # noqa: F401  (fixtures)
from support.tenders import TenderSteps


@pytest.fixture
def steps(world, bound, purchaser_signer, agency_signer, clock) -> TenderSteps:  # noqa: F811  (the fixtures above)
    app, _, parties = world
    return TenderSteps(app, parties, bound, purchaser_signer, agency_signer, clock)
