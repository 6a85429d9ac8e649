"""Refusals of the parties area."""
from __future__ import annotations

from bidding.errors import Conflict, InvalidInput


class PartyAlreadyRegistered(Conflict):
    code = "party_already_registered"
    message = "该统一社会信用代码已注册 (a party with this unified social credit code is already registered)"


class InvalidPartyData(InvalidInput):
    code = "party_data_invalid"
    message = "主体信息有误 (the party's data is invalid)"
