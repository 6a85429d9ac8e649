"""Every table of the platform in one metadata: imports each area's models.

Each area owns its models (``bidding/<area>/models.py``). Flask-Migrate's autogenerate and the
application's SQLAlchemy instance need the whole metadata, so an area that adds tables adds one
import line here; nothing else imports this module for the models themselves.
"""
from bidding.base import Base, UTCDateTime
from bidding.audit import models as _audit_models  # noqa: F401  (registers the audit tables)
from bidding.parties import models as _party_models  # noqa: F401  (registers the party tables)
from bidding.certificates import models as _certificate_models  # noqa: F401  (registers the certificate tables)
from bidding.accounts import models as _account_models  # noqa: F401  (registers the account table)
from bidding.certificates import desk_models as _desk_models  # noqa: F401  (registers the service requests)
from bidding.documents import models as _document_models  # noqa: F401  (registers the document tables)
from bidding.agreements import models as _agreement_models  # noqa: F401  (registers the agreement tables)
from bidding.tenders import models as _tender_models  # noqa: F401  (registers projects, lots, tenders, registrations, amendments)
from bidding.scheduling import models as _scheduling_models  # noqa: F401  (registers the scheduled effects, the job store)
from bidding.notify import models as _notify_models  # noqa: F401  (registers the outbox)
from bidding.bids import models as _bid_models  # noqa: F401  (registers bids, their recipients, receipts, uploads)
from bidding.bids import pending as _bid_pending  # noqa: F401  (registers pending bids with the R10 guard)
from bidding.bids import expiry as _bid_expiry  # noqa: F401  (warns bidders when an amendment outlasts their certificate)
from bidding.opening import models as _opening_models  # noqa: F401  (registers opening keys, bid openings, the hall)
from bidding.opening import effects as _opening_effects  # noqa: F401  (schedules the opening's effects at publication)
from bidding.experts import models as _expert_models  # noqa: F401  (registers the expert pool, draws, codes, event certificates)
from bidding.evaluation import models as _evaluation_models  # noqa: F401  (registers schemes, signed sheets, summaries)
from bidding.award import models as _award_models  # noqa: F401  (registers the award)
from bidding.contracts import models as _contract_models  # noqa: F401  (registers contracts and their events)

__all__ = ["Base", "UTCDateTime"]
