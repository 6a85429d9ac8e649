"""The bid CA of support.bids and a tender with three bidders (support.opening)."""
from support.bids import bid_ca  # noqa: F401  (fixture)
from support.opening import opening_world  # noqa: F401  (fixture)
