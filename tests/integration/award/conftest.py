"""Fixtures of the award tests: ``support.award`` on ``support.evaluation`` / ``support.experts``,
with the CA whose CRLs are fresh at the award's time (``support.award.award_bid_ca``, as ``bid_ca``)."""
from support.award import award_bid_ca, award_world  # noqa: F401  (fixtures; award_bid_ca is ``bid_ca``)
from support.experts import expert_world  # noqa: F401  (fixture)
