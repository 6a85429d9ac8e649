"""Refusals of the contract area (政府采购合同)."""
from __future__ import annotations

from bidding.errors import Conflict, InvalidInput, NotFound, PermissionDenied


class ContractNotFound(NotFound):
    code = "contract_not_found"
    message = "合同不存在 (no such contract)"


class AwardNotFound(NotFound):
    code = "contract_award_not_found"
    message = "中标结果不存在 (no such award)"


class ContractAccessDenied(PermissionDenied):
    code = "contract_access_denied"
    message = "您无权查看或办理该合同：只有合同双方可以 (only the contract's purchaser and supplier may)"


class OnlyThePurchaser(PermissionDenied):
    code = "contract_only_purchaser"
    message = "只有该项目的采购人可以起草、修改或备案合同 (only the tender's purchaser drafts, revises or files the contract)"


class OnlyTheSupplier(PermissionDenied):
    code = "contract_only_supplier"
    message = "只有中标供应商可以拒签合同 (only the winning supplier may refuse the contract)"


class AwardNotNotified(Conflict):
    code = "contract_award_not_notified"
    message = "中标通知书尚未签发，不能起草合同 (the award notice is not stamped yet: no contract can be drafted)"


class ContractExists(Conflict):
    code = "contract_exists"
    message = "该中标结果已有合同，请修改现有合同 (this award already has a contract: revise it instead)"


class ContractInvalid(InvalidInput):
    """A term the purchaser entered is missing or wrong; ``details["field"]`` names it."""

    code = "contract_invalid"
    message = "合同内容有误 (the contract's terms are invalid)"


class ContractStateConflict(Conflict):
    code = "contract_state"
    message = "合同当前状态不允许此操作 (the contract's state does not allow this)"


class RefusalReasonRequired(InvalidInput):
    code = "contract_reason_required"
    message = "拒签须填写理由（2 至 500 字） (a refusal needs a reason of 2 to 500 characters)"
