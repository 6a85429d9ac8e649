"""The bid fixtures of tests/support/bids.py (an app on both backends, a tender open for bids)."""
from support.bids import bid_ca, bids, keys  # noqa: F401  (fixtures)
