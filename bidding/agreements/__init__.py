"""Delegation agreements (委托协议) between a purchaser and an agency: models, use cases
(:mod:`bidding.agreements.services`) and the rules its document is stamped by, registered with the
documents area on import (:mod:`bidding.agreements.stamping`)."""
from bidding.agreements import stamping as _stamping  # noqa: F401  (registers the stamping rules)
