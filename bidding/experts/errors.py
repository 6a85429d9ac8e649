"""The refusals of the expert area (codes and bilingual messages, docs/experts.md)."""
from __future__ import annotations

from bidding.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    PermissionDenied,
)


class ExpertUnknown(NotFound):
    code = "expert_unknown"
    message = "专家不存在 (no such expert)"


class ExpertExists(Conflict):
    code = "expert_exists"
    message = "该身份证号的专家已在库中 (an expert with this ID number is already in the pool)"


class DrawNotAllowed(Conflict):
    code = "draw_not_allowed"
    message = "投标截止后、评审开始前才能抽取专家 (experts are drawn after the bid deadline and before the evaluation)"


class DrawExists(Conflict):
    code = "draw_exists"
    message = "本项目已抽取专家 (the experts of this tender are already drawn)"


class DrawUnknown(NotFound):
    code = "draw_unknown"
    message = "本项目尚未抽取专家 (no experts are drawn for this tender)"


class PoolTooSmall(Conflict):
    code = "pool_too_small"
    message = "回避后符合条件的专家不足 (too few eligible experts after avoidance)"


class AgencyEncryptionMissing(Conflict):
    code = "agency_encryption_missing"
    message = ("代理机构没有有效的加密证书，无法加密专家名单 (the agency has no active encryption certificate to "
               "encrypt the expert list to)")


class ListSealed(PermissionDenied):
    code = "expert_list_sealed"
    message = "评审开始前专家名单是加密的，任何人不可查看 (the expert list is encrypted until the evaluation starts)"


class ListOpeningFailed(InvalidInput):
    code = "expert_list_unreadable"
    message = ("签名助手返回的内容无法解开专家名单 (the agent's answer does not open the expert list: wrong "
               "certificate or key)")


class EvaluationNotDue(Conflict):
    code = "evaluation_not_due"
    message = "开标结束后才能开始评审 (the evaluation starts after the opening)"


class AssignmentUnknown(NotFound):
    code = "assignment_unknown"
    message = "没有这项评审邀请 (no such assignment)"


class AssignmentClosed(Conflict):
    code = "assignment_closed"
    message = "这项评审邀请已答复或已结束 (this assignment is already answered or closed)"


class CodeRateLimited(DomainError):
    code = "code_rate_limited"
    message = "验证码请求过于频繁，请稍后再试 (too many code requests: try again later)"
    http_status = 429


class CodeInvalid(InvalidInput):
    code = "code_invalid"
    message = "验证码错误 (wrong code)"


class CodeExpired(InvalidInput):
    code = "code_expired"
    message = "验证码已失效（10 分钟、一次有效、最多 5 次尝试），请重新获取 (the code has expired, was used or " \
              "had 5 wrong tries: ask for a new one)"


class ExpertSessionRequired(DomainError):
    code = "expert_session_required"
    message = "请先用验证码登录专家账户 (sign in as an expert with a one-time code first)"
    http_status = 401


class EventCertificateExpired(Conflict):
    code = "event_certificate_expired"
    message = "专家事件证书已过期，不能再签名；请重新发起签名 (the event certificate has expired and cannot sign: start again)"


class SigningUnavailable(DomainError):
    code = "expert_signing_unavailable"
    message = "平台专家签名服务（令牌或证书）未配置 (the platform's expert signing token or CA is not configured)"
    http_status = 503
