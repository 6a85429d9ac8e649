"""Refusals of the award area (定标, docs/award.md)."""
from __future__ import annotations

from bidding.errors import Conflict, InvalidInput, NotFound, PermissionDenied


class AwardNotFound(NotFound):
    code = "award_not_found"
    message = "该项目尚未确认中标人 (no winner has been confirmed for this tender)"


class AwardAccessDenied(PermissionDenied):
    code = "award_access_denied"
    message = "只有该项目的采购人和代理机构可以办理定标 (only the tender's purchaser and agency handle the award)"


class OnlyThePurchaser(PermissionDenied):
    code = "award_only_purchaser"
    message = "只有该项目的采购人可以确认中标人 (only the tender's purchaser confirms the winner)"


class OnlyTheAgency(PermissionDenied):
    code = "award_only_agency"
    message = "只有该项目的代理机构可以出具中标通知书 (only the tender's agency issues the notices)"


class NotInRanking(InvalidInput):
    code = "award_not_in_ranking"
    message = "所选投标不在评标委员会推荐的排序中 (the chosen bid is not in the recommended ranking)"


class ReasonRequired(InvalidInput):
    """Choosing a bidder below rank 1 needs the reason (排名在前的投标人放弃中标 …)."""

    code = "award_reason_required"
    message = ("未选择排名第一的中标候选人时，须说明理由（2–500 字），如排名在前的候选人放弃中标 (choosing a lower-ranked "
               "bidder needs a reason of 2 to 500 characters)")


class AwardInvalid(InvalidInput):
    """A value the agency gave for the notices is wrong; ``details["field"]`` names it."""

    code = "award_invalid"
    message = "通知书内容有误 (the notices' data is invalid)"


class AwardConfirmed(Conflict):
    code = "award_confirmed"
    message = "中标人已确认（确认书已签章），不能重新选择 (the winner is confirmed: the choice cannot change)"


class AwardNotConfirmed(Conflict):
    code = "award_not_confirmed"
    message = "采购人尚未签章确认中标人，不能出具通知书 (the purchaser has not stamped the confirmation yet)"


class NoticesExist(Conflict):
    code = "award_notices_exist"
    message = "中标通知书和结果通知书已生成 (the notices have already been made)"


class AwardNoticeFirst(Conflict):
    code = "award_notice_first"
    message = "须先签章发出中标通知书，再发出中标结果通知书 (the award notice goes out before the result notices)"


class NoticeNotFound(NotFound):
    code = "award_notice_not_found"
    message = "没有给贵单位的通知书 (there is no notice for your party)"
