"""A development CA with the platform's TSA and receipt certificate for the session, an app on both
backends pointed at it, a tender open for bids with both suppliers registered and their encryption
certificates bound: the fixtures of tests/support/bids.py."""
from support.bids import bid_ca, bids, keys  # noqa: F401  (fixtures)
