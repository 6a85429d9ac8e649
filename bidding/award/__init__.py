"""The award (定标): the purchaser confirms the winning bidder, the agency issues the award notice and
the result notices (docs/award.md). On import the area registers the stamping rules of its three
documents (:mod:`bidding.award.stamping`) and its OCDS release (:mod:`bidding.award.publication`)."""
from bidding.award import publication as _publication  # noqa: F401  (registers the award's OCDS release)
from bidding.award import stamping as _stamping  # noqa: F401  (registers the stamping rules)
