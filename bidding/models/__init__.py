"""SQLAlchemy 2 typed models of the platform, one module per area.

Import models from here (``from bidding.models import Party``). A new area adds its module and one
import line below, so that Flask-Migrate's autogenerate sees its tables.
"""
from bidding.models.base import Base, UTCDateTime
from bidding.models.audit import GENESIS_DIGEST, AuditChainHead, AuditEntry
from bidding.models.parties import Party, PartyKind

__all__ = [
    "Base", "UTCDateTime",
    "AuditEntry", "AuditChainHead", "GENESIS_DIGEST",
    "Party", "PartyKind",
]
