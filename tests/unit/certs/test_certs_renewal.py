"""R7 renewal arithmetic: window, extension from the old expiry, from the day of renewal, the limit."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from pki.trust import (InvalidServicePeriod, RenewalNeedsDocuments, RenewalNotOpen, RenewalRules,
                       add_years)

EXPIRY = datetime(2028, 3, 1, 8, 0, tzinfo=timezone.utc)
RULES = RenewalRules(window_days=90, service_years=(1, 2), expired_limit_days=365)


def test_more_than_90_days_left_is_too_early():
    with pytest.raises(RenewalNotOpen, match="90") as info:
        RULES.terms(EXPIRY, EXPIRY - timedelta(days=90, seconds=1), 1)
    assert info.value.code == "renewal_not_open"
    assert "2027-12-02" in str(info.value)          # when it opens


@pytest.mark.parametrize("years", [1, 2])
def test_unexpired_renewal_extends_from_the_old_expiry(years):
    at = EXPIRY - timedelta(days=90)
    terms = RULES.terms(EXPIRY, at, years)
    assert terms.not_before == at
    assert terms.not_after == EXPIRY.replace(year=2028 + years)
    assert not terms.was_expired


def test_expired_renewal_counts_from_the_day_of_renewal():
    at = EXPIRY + timedelta(days=200)
    terms = RULES.terms(EXPIRY, at, 2)
    assert (terms.not_before, terms.not_after, terms.was_expired) == (at, add_years(at, 2), True)
    assert RULES.terms(EXPIRY, EXPIRY + timedelta(days=365), 1).was_expired   # the last day still works


def test_expired_more_than_365_days_needs_documents():
    with pytest.raises(RenewalNeedsDocuments, match="365") as info:
        RULES.terms(EXPIRY, EXPIRY + timedelta(days=365, seconds=1), 1)
    assert info.value.code == "renewal_needs_documents"


def test_service_period_must_be_offered():
    with pytest.raises(InvalidServicePeriod, match="服务期"):
        RULES.terms(EXPIRY, EXPIRY, 3)


def test_add_years_on_29_february():
    leap = datetime(2028, 2, 29, tzinfo=timezone.utc)
    assert add_years(leap, 1) == datetime(2029, 2, 28, tzinfo=timezone.utc)
    assert add_years(leap, 4) == datetime(2032, 2, 29, tzinfo=timezone.utc)
