"""The bid fixtures of tests/support/bids.py (an app on both backends, a tender open for bids) and the
experts' world of tests/support/experts.py (the platform's SoftHSM token)."""
from support.bids import bid_ca, bids, keys  # noqa: F401  (fixtures)
from support.experts import expert_world  # noqa: F401  (fixture: the platform's SoftHSM token, experts)
