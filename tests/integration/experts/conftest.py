"""Fixtures of the expert tests: ``support.experts`` (and the bid CA of ``support.bids``)."""
from support.bids import bid_ca, keys  # noqa: F401  (fixtures)
from support.experts import expert_world  # noqa: F401  (fixture)
