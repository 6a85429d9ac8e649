"""The contract (政府采购合同) of a notified award between the purchaser and the winner: models,
use cases (:mod:`bidding.contracts.services`), the rules its document is stamped by, registered with
the documents area on import (:mod:`bidding.contracts.stamping`), and its OCDS release
(:mod:`bidding.contracts.publication`)."""
from bidding.contracts import publication as _publication  # noqa: F401  (registers the OCDS release source)
from bidding.contracts import stamping as _stamping  # noqa: F401  (registers the stamping rules)
