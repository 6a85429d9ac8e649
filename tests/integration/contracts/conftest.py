"""Fixtures of the contract tests: ``support.contracts.contract_world`` (a notified award written as
rows, the shortcut its docstring names) on ``support.evaluation``'s ``evaluation_world``, with the
purchaser's, the winner's and the other bidder's signing keys bound."""
from support.bids import bid_ca, keys  # noqa: F401  (fixtures)
from support.contracts import contract_signers, contract_world  # noqa: F401  (fixtures)
from support.evaluation import evaluation_world  # noqa: F401  (fixture)
from support.experts import expert_world  # noqa: F401  (fixture)
