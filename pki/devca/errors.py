"""What the development CA refuses, as :class:`pki.errors.PkiError` classes (stable ``code``,
bilingual default ``message``, ``kind``); a raise passes a more specific message."""
from __future__ import annotations

from pki.errors import PkiError


class DevCaError(PkiError):
    """A request the development CA refuses. ``code`` is stable for callers."""

    code = "devca_error"
    message = "开发 CA 拒绝了该请求 (the development CA refuses the request)"
    kind = "input"


class NotInitialised(DevCaError):
    code = "devca_not_initialised"
    message = "开发 CA 尚未初始化 (the development CA is not initialised: run init first)"
    kind = "state"


class UnknownCertificate(DevCaError):
    code = "certificate_unknown"
    message = "开发 CA 没有签发该证书 (the development CA issued no such certificate)"
    kind = "input"


class AlgorithmNotOffered(DevCaError):
    code = "algorithm_not_offered"
    message = "该 CA 不提供此算法的证书 (the CA offers no certificates for this key algorithm)"
    kind = "input"


class AlreadyRevoked(DevCaError):
    code = "already_revoked"
    message = "证书已吊销 (the certificate is already revoked)"
    kind = "state"


class CertificateExpired(DevCaError):
    code = "certificate_expired"
    message = "证书已过期 (the certificate has expired)"
    kind = "state"


class SubjectChangeRefused(DevCaError):
    code = "subject_change_refused"
    message = ("变更不能改变证书类型或统一社会信用代码/身份证号码 (a change cannot alter the certificate type "
               "or the credit code / ID number)")
    kind = "input"


__all__ = ["DevCaError", "NotInitialised", "UnknownCertificate", "AlgorithmNotOffered", "AlreadyRevoked",
           "CertificateExpired", "SubjectChangeRefused"]
