"""Certificates bound to parties (证书绑定): proof of possession over a one-time challenge, the
identity and seal rules (R1–R6, R22), and the guard that a renewal or change must ask first (R10).

    models.py      CertificateBinding, Challenge and their enums
    challenges.py  issue_challenge / consume_challenge: one-time, bound to a session and an origin
    services.py    bind_certificate, attach_seal, list_bindings, seal_valid
    login.py       login_with_certificate; R20 recover_account / reset_password_with_certificate
    guard.py       change_blocked_by / ensure_change_allowed over registered pending-item providers
    errors.py      the refusals of this area
"""
