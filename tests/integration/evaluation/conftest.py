"""Fixtures of the evaluation tests: ``support.evaluation`` on ``support.experts`` (and the bid CA of
``support.bids``); the report's world of ``support.report``."""
from support.bids import bid_ca, keys  # noqa: F401  (fixtures)
from support.evaluation import evaluation_world  # noqa: F401  (fixture)
from support.experts import expert_world  # noqa: F401  (fixture)
from support.report import report_world  # noqa: F401  (fixture)
