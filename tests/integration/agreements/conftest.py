"""A development CA with the platform's TSA for the session, apps on both backends pointed at it, the
test parties of support.auth with their accounts, and the purchaser's (RSA) and the agency's (EC)
main keys bound with their seals: the fixtures of tests/support/stamping.py."""
from support.stamping import agency_signer, bound, ca, purchaser_signer, world  # noqa: F401  (fixtures)
