"""Refusals of the opening (开标). Every one changes nothing; the platform's own faults are
:class:`OpeningPlatformError` (503), recorded on the bid for R15 before they are raised."""
from __future__ import annotations

from bidding.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    PermissionDenied,
)


class OpeningNotStarted(Conflict):
    code = "opening_not_started"
    message = "尚未到开标时间，不能解密 (the opening has not started: nothing can be decrypted yet)"


class OpeningWindowClosed(Conflict):
    code = "opening_window_closed"
    message = "解密时限已过，不能再解密 (the decryption window is closed)"


class NoBidToOpen(NotFound):
    """The account's party has no submitted bid in this tender (or the bid named is not its own)."""

    code = "no_bid_to_open"
    message = "没有待解密的投标 (there is no submitted bid of yours to decrypt)"


class OnlyBidders(PermissionDenied):
    code = "opening_only_bidders"
    message = "只有投标供应商可以解密投标 (only a supplier with a bid decrypts it)"


class KeyReleaseInvalid(InvalidInput):
    """The key-release statement, envelope or signature is unreadable or not in its exact form;
    ``details["reason"]`` says what."""

    code = "key_release_invalid"
    message = "密钥释放声明格式有误 (the key-release statement is malformed)"


class OpeningContextInvalid(Conflict):
    """The statement's one-time context is not the bid's current one: replayed, used up or
    replaced by a newer release."""

    code = "opening_context_invalid"
    message = ("一次性解密凭据无效、已使用或已被新的请求取代，请重新获取 (the one-time context is not current: used, "
               "replaced or unknown; ask for the RecipientInfo again)")


class KeyReleaseMismatch(InvalidInput):
    """The statement does not describe what was received: envelope, RecipientInfo or opening
    certificate digests differ; ``details["field"]``."""

    code = "key_release_mismatch"
    message = "密钥释放声明与提交的内容不符 (the key-release statement does not match what was submitted)"


class KeyReleaseSignatureInvalid(InvalidInput):
    code = "key_release_signature_invalid"
    message = "密钥释放声明的签名无效 (the key-release statement's signature is not valid)"


class KeyReleaseSignerNotBidder(PermissionDenied):
    code = "key_release_signer_not_bidder"
    message = ("密钥释放声明须由投标人已绑定的有效签名证书签名 (the statement must be signed by an active signing "
               "certificate bound to the bidder)")


class WrongContentKey(Conflict):
    """The released key does not open the bid: a wrong token or certificate. Retry allowed."""

    code = "wrong_content_key"
    message = ("释放的密钥无法解开该投标，请检查所用证书后在解密时限内重试 (the released key does not open the bid: "
               "check the certificate used and try again within the window)")
    http_status = 422


class BidPackageRefused(Conflict):
    """The bid decrypted but its package failed a check: the bid is DECRYPTION_FAILED (the bidder's
    fault), recorded with the reason; raised after that state is committed."""

    code = "bid_package_refused"
    message = "投标文件解密后核验未通过，投标解密失败 (the bid decrypted but failed its checks: decryption failed)"
    http_status = 422


class AlreadyDecrypted(Conflict):
    code = "bid_already_opened"
    message = "该投标已处理，不能再提交密钥 (this bid was already opened or refused)"


class OpeningPlatformError(DomainError):
    """The platform could not open the bid (store unreadable, opening key missing). Recorded on the
    bid (R15: a bid lost by the platform's fault is withdrawn, not revoked)."""

    code = "opening_platform_error"
    message = ("平台暂时无法解密该投标，已记录为平台原因，请稍后重试 (the platform could not open the bid; recorded "
               "as the platform's fault, please retry)")
    http_status = 503


__all__ = [
    "AlreadyDecrypted",
    "BidPackageRefused",
    "KeyReleaseInvalid",
    "KeyReleaseMismatch",
    "KeyReleaseSignatureInvalid",
    "KeyReleaseSignerNotBidder",
    "NoBidToOpen",
    "OnlyBidders",
    "OpeningContextInvalid",
    "OpeningNotStarted",
    "OpeningPlatformError",
    "OpeningWindowClosed",
    "WrongContentKey",
]
