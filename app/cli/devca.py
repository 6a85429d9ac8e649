"""``flask devca …``: the development CA by hand (issue, list, show, revoke, renew, replace-key,
change-subject, crl) and :func:`ensure_devca`, which ``setup-dev`` and ``demo init`` run first."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click
from flask import current_app

from app.cli.common import (
    OneLineGroup,
    open_token,
    platform_cert_dir,
    refusals,
    secret_from_env,
    tsa_dir,
)

PLATFORM_NAME = "电子招投标平台（开发）"
# The development platform operator's credit code (first 17 characters; the check is computed).
PLATFORM_CODE17 = "91440000PLATDEM01"
KEY_ALGORITHMS = ("rsa", "ec", "sm2")
CERT_TYPES = ("institution", "legal_representative", "natural_person")
SEAL_CHOICES = ("auto", "公章", "合同专用章", "业务专用章", "none")

devca_cli = OneLineGroup("devca", help="开发用 CA：签发、吊销、续期、补办、变更证书，发布 CRL (the development CA).")


# ------------------------------------------------------------------------------- helpers

def _devca() -> Any:
    from pki.devca import DevCA
    config = current_app.config
    return DevCA(config["DEVCA_DIR"], config["TRUST_ANCHORS_DIR"], config_dir=config["TRUST_CONFIG_DIR"],
                 clock=current_app.extensions["clock"], base_url=config["PUBLIC_BASE_URL"])


def _platform_identity(name: str) -> Any:
    from pki.identity import PartyIdentity, credit_code_check_char
    code = current_app.config.get("PLATFORM_CREDIT_CODE") or PLATFORM_CODE17 + credit_code_check_char(PLATFORM_CODE17)
    return PartyIdentity("institution", name, credit_code=code)


def _parse_serial(text: str) -> int:
    try:
        value = int(text[2:] if text.lower().startswith("0x") else text, 16)
    except ValueError:
        raise click.ClickException(f"序列号须为十六进制数，如 1008 (the serial must be hexadecimal, e.g. 1008: "
                                   f"{text!r})") from None
    if value <= 0:
        raise click.ClickException(f"序列号须为正数 (the serial must be positive: {text!r})")
    return value


def _key_source(token: str | None, pin_env: str | None, pass_env: str | None) -> dict[str, Any]:
    """Where a new key goes: a token session, or a password for a generated key file."""
    if token and pass_env:
        raise click.ClickException("--token 与 --pass-env 只能选一个 (give either --token or --pass-env)")
    if token:
        return {"session": open_token(token, pin_env)}
    if pin_env:
        raise click.ClickException("--pin-env 需要与 --token 一起使用 (--pin-env goes with --token)")
    if not pass_env:
        raise click.ClickException("需要 --pass-env VAR（新密钥文件的口令）或 --token LABEL --pin-env VAR (give "
                                   "--pass-env VAR for a new key file, or --token LABEL --pin-env VAR)")
    return {"password": secret_from_env(pass_env, "密钥口令").encode("utf-8")}  # type: ignore[union-attr]


def _report(ca: Any, rec: Any, *, key_uri: str | None = None, out: Path | None = None) -> None:
    click.echo(f"序列号 serial: {rec.serial_hex}")
    click.echo(f"主题 subject:  {rec.subject}")
    click.echo(f"CA/算法:       {rec.profile}-{rec.algorithm}  用途 {rec.purpose}  印章 {rec.seal_kind or '—'}")
    click.echo(f"有效期 valid:  {rec.not_before} – {rec.not_after}")
    click.echo(f"证书 cert:     {ca.path(rec.cert_file)}")
    if rec.key_file:
        click.echo(f"密钥 key:      {ca.path(rec.key_file)}")
    if key_uri or rec.key_location:
        click.echo(f"密钥 URI:      {key_uri or rec.key_location}")
    if out is not None:
        written = _export(ca, rec, out)
        click.echo(f"已写出 written: {', '.join(str(p) for p in written)}")


def _export(ca: Any, rec: Any, out: Path) -> list[Path]:
    from pki.certs import dump_pem
    out.mkdir(parents=True, exist_ok=True)
    chain = ca.chain(rec.profile, rec.algorithm)
    files = {f"{rec.serial_hex}.pem": ca.path(rec.cert_file).read_bytes(),
             f"chain-{rec.profile}-{rec.algorithm}.pem": dump_pem(chain.intermediate) + dump_pem(chain.root)}
    if rec.key_file:
        files[Path(rec.key_file).name] = ca.path(rec.key_file).read_bytes()
    if rec.seal_file:
        files[Path(rec.seal_file).name] = ca.path(rec.seal_file).read_bytes()
    written = []
    for name, data in files.items():
        target = out / name
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                     0o600 if name == Path(rec.key_file or "-").name else 0o644)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        written.append(target)
    return written


def _identity(kind: str, name: str, code: str, org: str | None) -> Any:
    from pki.identity import PartyIdentity
    if kind == "natural_person":
        return PartyIdentity(kind, name, id_number=code)  # type: ignore[arg-type]
    return PartyIdentity(kind, name, credit_code=code, organization=org)  # type: ignore[arg-type]


_TOKEN_OPTIONS = [
    click.option("--pass-env", metavar="VAR", help="环境变量名，其值为新密钥文件的口令 (env variable holding the "
                                                  "password of the generated key file)."),
    click.option("--token", metavar="LABEL", help="在此令牌上生成密钥（RSA-2048 / EC P-256，不可导出）(generate the "
                                                 "key on this PKCS#11 token, non-extractable)."),
    click.option("--pin-env", metavar="VAR", help="环境变量名，其值为令牌 PIN (env variable holding the token PIN)."),
    click.option("--out", type=click.Path(file_okay=False, path_type=Path),
                 help="把证书、证书链和密钥文件另存到此目录 (also write certificate, chain and key file here)."),
]


def _key_options(f: Any) -> Any:
    for option in reversed(_TOKEN_OPTIONS):
        f = option(f)
    return f


# ---------------------------------------------------------------------------------- devca

def ensure_devca() -> tuple[Any, list[Any], list[Any]]:
    """Create what is missing of the development CA and the platform's own certificates
    (TSA in ``TSA_DIR``; in ``PLATFORM_CERT_DIR`` the platform's signing certificate, the transport
    certificate of the self-test and the receipt certificate that signs receipts and opening
    transcripts). Idempotent."""
    ca = _devca()
    chains = ca.init()
    services = [
        ca.ensure_service_certificate("tsa", tsa_dir(), _platform_identity(f"{PLATFORM_NAME}时间戳服务")),
        ca.ensure_service_certificate("platform", platform_cert_dir(), _platform_identity(PLATFORM_NAME)),
        ca.ensure_service_certificate("transport", platform_cert_dir(), _platform_identity(f"{PLATFORM_NAME}传输加密")),
        # signs bid receipts and opening transcripts (EKU receiptSigning, pki.receipts)
        ca.ensure_service_certificate("receipt", platform_cert_dir(), _platform_identity(f"{PLATFORM_NAME}回执签名")),
    ]
    return ca, chains, services


@devca_cli.command("init")
def devca_init() -> None:
    """Create the development CA (every trusted profile × algorithm) under DEVCA_DIR, write the
    trust anchors and first CRLs, and issue the platform's time-stamping certificate (TSA_DIR) and
    signing certificate (PLATFORM_CERT_DIR). Idempotent: existing parts are kept."""
    with refusals():
        _, chains, services = ensure_devca()
    print_devca(chains, services)


def print_devca(chains: list[Any], services: list[Any]) -> None:
    click.echo(f"devca: {len(chains)} 条 CA 链就绪 ({len(chains)} CA chains ready in "
               f"{current_app.config['DEVCA_DIR']})")
    for svc in services:
        state = "新签发 issued" if svc.issued else "沿用 kept"
        click.echo(f"devca: {svc.role} 证书 {svc.record.serial_hex} {state}，至 {svc.record.not_after[:10]} "
                   f"({svc.cert_path})")


@devca_cli.command("issue")
@click.option("--profile", required=True, metavar="P", help="CA 配置 (trust profile id): bjca cfca gdca hbca netca.")
@click.option("--alg", "algorithm", required=True, type=click.Choice(KEY_ALGORITHMS), help="密钥算法 (key algorithm).")
@click.option("--type", "kind", required=True, type=click.Choice(CERT_TYPES), help="证书类型 (certificate type).")
@click.option("--name", required=True, help="证书主体名称：机构名或姓名 (subject name: organisation or person).")
@click.option("--code", required=True, metavar="CODE",
              help="统一社会信用代码，个人证书为身份证号码 (credit code; ID-card number for natural_person).")
@click.option("--org", help="法人代表证书的机构名称 (organisation of a legal_representative certificate).")
@click.option("--purpose", type=click.Choice(("signing", "encryption")), default="signing", show_default=True,
              help="签名证书或加密证书 (signing or encryption certificate).")
@click.option("--years", type=int, default=1, show_default=True, help="服务期 1 或 2 年 (service period).")
@click.option("--seal", type=click.Choice(SEAL_CHOICES), default="auto", show_default=True,
              help="绑定的印章；auto：机构签名证书带公章 (seal bound to the certificate).")
@_key_options
def devca_issue(profile: str, algorithm: str, kind: str, name: str, code: str, org: str | None, purpose: str,
                years: int, seal: str, pass_env: str | None, token: str | None, pin_env: str | None,
                out: Path | None) -> None:
    """Issue a certificate. The key is generated: into a password-protected file (--pass-env VAR;
    PKCS#12 for RSA/EC, encrypted PKCS#8 for SM2) or on a token (--token LABEL --pin-env VAR;
    RSA/EC only), where it never leaves and the certificate is stored beside it."""
    with refusals():
        ca = _devca()
        offered = ca.profile(profile).chains
        if algorithm not in offered:
            raise click.ClickException(f"{ca.profile(profile).name} 不提供 {algorithm.upper()} 证书 (profile {profile} "
                                       f"offers {', '.join(offered)}, not {algorithm})")
        identity = _identity(kind, name, code, org)
        seal_kind = None if seal == "none" else seal
        if token:
            from pki.devca.tokens import token_key_kind
            token_key_kind(algorithm)           # before the PIN is tried
        source = _key_source(token, pin_env, pass_env)
        if "session" in source:
            from pki.devca.tokens import issue_to_token
            made = issue_to_token(ca, source["session"], profile, identity, algorithm=algorithm, purpose=purpose,
                                  years=years, seal_kind=seal_kind)
            _report(ca, made.record, key_uri=made.key_uri, out=out)
            return
        rec = ca.issue(profile, identity, algorithm=algorithm, purpose=purpose, years=years,
                       password=source["password"], seal_kind=seal_kind)
        _report(ca, rec, out=out)


@devca_cli.command("list")
@click.option("--valid-only", is_flag=True, help="只列出未吊销的证书 (only certificates not revoked).")
def devca_list(valid_only: bool) -> None:
    """List the certificates the development CA issued."""
    with refusals():
        records = sorted(_devca().records(), key=lambda r: r.serial)
    if valid_only:
        records = [r for r in records if r.status == "valid"]
    if not records:
        click.echo("devca: 尚未签发证书 (no certificates issued yet)")
        return
    click.echo(f"{'serial':<7} {'status':<8} {'chain':<10} {'purpose':<10} {'type':<20} {'not after':<10}  name / number / key")
    for r in records:
        key = "token" if r.key_location else ("file" if r.key_file else "-")
        click.echo(f"{r.serial_hex:<7} {r.status:<8} {r.chain_name:<10} {r.purpose:<10} {r.kind:<20} "
                   f"{r.not_after[:10]:<10}  {r.name} / {r.credit_code or r.id_number} / {key}")


@devca_cli.command("show")
@click.argument("serial")
def devca_show(serial: str) -> None:
    """Show one certificate (SERIAL in hexadecimal, as `list` prints it)."""
    from pki.certs import describe, fingerprint_sm3
    with refusals():
        ca = _devca()
        rec = ca.record(_parse_serial(serial))
        cert = ca.certificate(rec.serial)
        summary = describe(cert)
    _report(ca, rec)
    click.echo(f"颁发者 issuer:  {summary.issuer}")
    click.echo(f"公钥 key:      {summary.key}")
    click.echo(f"状态 status:   {rec.status}" + (f"（{rec.revoked_at} {rec.revocation_reason}）" if rec.revoked_at else ""))
    if rec.extended_key_usage:
        click.echo(f"扩展用途 EKU:  {', '.join(rec.extended_key_usage)}")
    if rec.replaces:
        click.echo(f"取代 replaces: {rec.replaces:X} ({rec.replacement})")
    if rec.replaced_by:
        click.echo(f"被取代 replaced by: {rec.replaced_by:X}")
    click.echo(f"SHA-256:       {summary.sha256}")
    click.echo(f"SM3:           {fingerprint_sm3(cert)}")


@devca_cli.command("revoke")
@click.argument("serial")
@click.option("--reason", required=True, metavar="R",
              help="unspecified, key_compromise, affiliation_changed, superseded, cessation_of_operation, "
                   "certificate_hold, privilege_withdrawn.")
def devca_revoke(serial: str, reason: str) -> None:
    """Revoke a certificate and publish its CA's CRL at once."""
    with refusals():
        rec = _devca().revoke(_parse_serial(serial), reason)
    click.echo(f"devca: 证书 {rec.serial_hex} 已吊销 (revoked: {rec.revocation_reason}, {rec.revoked_at})")


def _reissue(action: str, serial: str, pass_env: str | None, token: str | None, pin_env: str | None,
             out: Path | None, **kwargs: Any) -> None:
    from pki.devca import tokens as devca_token
    with refusals():
        ca = _devca()
        number = _parse_serial(serial)
        if token:
            devca_token.token_key_kind(ca.record(number).algorithm)     # before the PIN is tried
        ca.record(number)
        source = _key_source(token, pin_env, pass_env)
        if "session" in source:
            fn = {"renew": devca_token.renew_on_token, "replace": devca_token.replace_key_on_token,
                  "change": devca_token.change_subject_on_token}[action]
            args = (kwargs.pop("identity"),) if action == "change" else ()
            made = fn(ca, source["session"], number, *args, **kwargs)
            rec, uri = made.record, made.key_uri
        else:
            fn = {"renew": ca.renew, "replace": ca.replace_lost_key, "change": ca.change_subject}[action]
            args = (kwargs.pop("identity"),) if action == "change" else ()
            rec, uri = fn(number, *args, password=source["password"], **kwargs), None
        old = ca.record(number)
    click.echo(f"devca: {old.serial_hex} → {rec.serial_hex}"
               + (f"（旧证书已吊销 old one revoked: {old.revocation_reason}）" if old.status == "revoked" else ""))
    _report(ca, rec, key_uri=uri, out=out)


@devca_cli.command("renew")
@click.argument("serial")
@click.option("--years", type=int, default=1, show_default=True, help="服务期 1 或 2 年 (service period).")
@_key_options
def devca_renew(serial: str, years: int, pass_env: str | None, token: str | None, pin_env: str | None,
                out: Path | None) -> None:
    """R7 renewal with a new key: open from 90 days before expiry to 365 days after it; an
    unexpired certificate is extended from its old expiry."""
    _reissue("renew", serial, pass_env, token, pin_env, out, years=years)


@devca_cli.command("replace-key")
@click.argument("serial")
@_key_options
def devca_replace_key(serial: str, pass_env: str | None, token: str | None, pin_env: str | None,
                      out: Path | None) -> None:
    """R8 lost-key replacement: revokes the old certificate (keyCompromise) and issues one for a new
    key with the same expiry."""
    _reissue("replace", serial, pass_env, token, pin_env, out)


@devca_cli.command("change-subject")
@click.argument("serial")
@click.option("--name", required=True, help="新的主体名称 (the new subject name).")
@click.option("--org", help="法人代表证书的新机构名称 (new organisation of a legal-representative certificate).")
@_key_options
def devca_change_subject(serial: str, name: str, org: str | None, pass_env: str | None, token: str | None,
                         pin_env: str | None, out: Path | None) -> None:
    """R5: the subject's data changed (name, organisation): a new certificate with the same type
    and number replaces the old one, which is revoked as superseded. (A new person handling the
    certificate, 经办人, needs no new certificate.)"""
    with refusals():
        old = _devca().record(_parse_serial(serial))
        identity = _identity(old.kind, name, old.id_number if old.kind == "natural_person" else old.credit_code,
                             org if org is not None else old.organization)
    _reissue("change", serial, pass_env, token, pin_env, out, identity=identity)


@devca_cli.command("crl")
@click.option("--publish", is_flag=True, help="立即重新发布全部 CRL (republish every CRL now).")
def devca_crl(publish: bool) -> None:
    """Show the CRLs (number, this/next update, revoked entries); --publish republishes them."""
    from asn1crypto import crl as acrl
    with refusals():
        ca = _devca()
        if publish:
            written = ca.publish_crls()
            click.echo(f"devca: 已发布 {len(written)} 个 CRL (published {len(written)} CRLs)")
        paths = sorted((Path(current_app.config["DEVCA_DIR"]) / "crl").glob("*.crl"))
        if not paths:
            raise click.ClickException("尚无 CRL，请先运行 flask devca init (no CRLs yet: run flask devca init)")
        for path in paths:
            tbs = acrl.CertificateList.load(path.read_bytes())["tbs_cert_list"]
            number = next((e["extn_value"].native for e in tbs["crl_extensions"]
                           if e["extn_id"].native == "crl_number"), None)
            revoked = len(tbs["revoked_certificates"]) if tbs["revoked_certificates"].native else 0
            click.echo(f"{path.name:<20} #{number:<4} {tbs['this_update'].native:%Y-%m-%d %H:%M} → "
                       f"{tbs['next_update'].native:%Y-%m-%d %H:%M}  吊销 revoked: {revoked}")


# ---------------------------------------------------------------------------------- demo
