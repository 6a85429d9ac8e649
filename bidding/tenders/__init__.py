"""Procurement projects and tenders (采购项目与招标): models, use cases
(:mod:`bidding.tenders.services`, :mod:`bidding.tenders.documents`), the rules its documents are
stamped by (:mod:`bidding.tenders.stamping`) and the R10 provider of the certificates they were
stamped with (:mod:`bidding.tenders.pending`), both registered on import."""
from bidding.tenders import pending as _pending  # noqa: F401  (registers the R10 provider)
from bidding.tenders import stamping as _stamping  # noqa: F401  (registers the stamping rules)
