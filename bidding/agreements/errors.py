"""Refusals of the delegation-agreement area (委托协议)."""
from __future__ import annotations

from bidding.errors import Conflict, InvalidInput, NotFound, PermissionDenied


class AgreementNotFound(NotFound):
    code = "agreement_not_found"
    message = "委托协议不存在 (no such delegation agreement)"


class AgreementAccessDenied(PermissionDenied):
    code = "agreement_access_denied"
    message = "您无权查看或办理该委托协议：只有协议双方可以 (only the agreement's purchaser and agency may)"


class OnlyPurchasers(PermissionDenied):
    code = "agreement_only_purchasers"
    message = "只有采购人可以起草或修改委托协议 (only a purchaser drafts or revises a delegation agreement)"


class OnlyTheAgency(PermissionDenied):
    code = "agreement_only_agency"
    message = "只有协议中的代理机构可以拒签 (only the agreement's agency may refuse it)"


class AgreementInvalid(InvalidInput):
    """A term of the agreement is missing or wrong; ``details["field"]`` names it."""

    code = "agreement_invalid"
    message = "委托协议内容有误 (the agreement's terms are invalid)"


class AgreementStateConflict(Conflict):
    code = "agreement_state"
    message = "委托协议当前状态不允许此操作 (the agreement's state does not allow this)"


class RefusalReasonRequired(InvalidInput):
    code = "agreement_reason_required"
    message = "拒签须填写理由（2 至 500 字） (a refusal needs a reason of 2 to 500 characters)"


class NoFiledAgreement(PermissionDenied):
    """An agency acts for a purchaser only under a filed agreement whose term covers the day."""

    code = "agreement_not_filed"
    message = ("代理机构与该采购人之间没有在有效期内的已备案委托协议，不能代其创建采购项目 (there is no filed delegation "
               "agreement in force between the agency and the purchaser)")
