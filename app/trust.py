"""The trust list as the web layer sees it: loaded once per process from ``config/trust/`` and
the anchors directory by :func:`pki.trust.load_trust_list`, with the CRL addresses under the
``PUBLIC_BASE_URL`` setting, and flattened for templates."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app


class TrustListUnavailable(Exception):
    """The trust list could not be loaded (missing module, bad configuration)."""


def trust_list() -> Any:
    """The application's :class:`pki.trust.TrustList`, loaded on first use and then cached."""
    cached = current_app.extensions.get("trust_list")
    if cached is not None:
        return cached
    try:
        from pki.errors import PkiError
        from pki.trust import load_trust_list
    except ImportError as exc:
        raise TrustListUnavailable(f"信任列表模块尚未就绪 (pki.trust is not available: {exc})")
    config_dir = Path(current_app.config["TRUST_CONFIG_DIR"])
    anchors_dir = Path(current_app.config["TRUST_ANCHORS_DIR"])
    try:
        loaded = load_trust_list(config_dir, anchors_dir, base_url=current_app.config["PUBLIC_BASE_URL"])
    except (OSError, PkiError) as exc:   # a missing file, or a TrustError / CertificateError saying what is wrong
        raise TrustListUnavailable(f"信任列表无法加载 (the trust list cannot be loaded: {exc})")
    current_app.extensions["trust_list"] = loaded
    return loaded


_IDENTITY_PLACES = {"serial_number": "主题 serialNumber", "ou": "主题 OU", "title": "主题 title",
                    "extension": "私有扩展", "prefix": "号码前缀"}
_KIND_NAMES = {"institution": "机构", "legal_representative": "法人代表", "natural_person": "个人"}


def _place(location: str, oid: str | None) -> str:
    name = _IDENTITY_PLACES.get(location, location)
    return f"{name} {oid}" if oid else name


def _identity(rules: Any) -> tuple[str, str]:
    """(where the credit code / ID number is, where and how the certificate type is marked)."""
    if rules is None:
        return "—", "—"
    kinds = "、".join(f"{_KIND_NAMES.get(k, k)}“{v}”" for k, v in rules.type_values.items())
    return (_place(rules.location, getattr(rules, "oid", None)),
            f"{_place(rules.type_location, getattr(rules, 'type_oid', None))}：{kinds}")


def _renewal(rules: Any) -> str:
    if rules is None:
        return "—"
    years = "或".join(str(y) for y in rules.service_years)
    return (f"到期前 {rules.window_days} 天起、过期后 {rules.expired_limit_days} 天内可在线续期；"
            f"服务期 {years} 年")


def _anchor_name(cert: Any) -> str:
    subject = getattr(cert, "subject", None)
    if subject is None:
        return str(cert)
    if hasattr(subject, "human_friendly"):          # asn1crypto
        return subject.human_friendly
    if hasattr(subject, "rfc4514_string"):          # cryptography
        return subject.rfc4514_string()
    return str(subject)


def profile_views(trust: Any) -> list[dict[str, Any]]:
    """Each :class:`pki.trust.CaProfile` as a dict of display strings for ``main/home.html``."""
    views = []
    for p in trust.profiles:
        chains = tuple(p.chains)
        identity, cert_type = _identity(p.identity)
        views.append({
            "id": p.id,
            "name": p.name,
            "identity": identity,
            "cert_type": cert_type,
            "policy_oid": p.policy_oid,
            "algorithms": "、".join(c.upper() for c in chains),
            "crls": [p.crl_url_for(c) for c in chains],
            "renewal": _renewal(p.renewal),
            "anchors": [_anchor_name(c) for c in tuple(p.roots) + tuple(p.intermediates)],
        })
    return views
