"""`flask devca …` through the app's CLI runner, checked with openssl and the trust list."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from cryptography.hazmat.primitives.serialization import pkcs12

from support.cli import T0, assert_one_line_error, invoke
from pki.certs import load_certificate
from pki.identity import id_number_check_char
from pki.keys import key_matches_certificate, load_private_key

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)   # no database work here

CODE = "91110108551385082Q"
ID17 = "11010519491231002"
ID_NUMBER = ID17 + id_number_check_char(ID17)
PASS = {"KEYPASS": "correct horse battery"}


def _serial(output: str) -> int:
    return int(re.search(r"序列号 serial: ([0-9A-F]+)", output).group(1), 16)


def _issue(app, *extra: str, env=PASS):
    result = invoke(app, "devca", "issue", *extra, env=env)
    assert result.exit_code == 0, result.output + result.stderr
    return result


def test_init_issues_tsa_and_platform_certificates_once(pristine_ca, cli_app, openssl):
    assert "11 条 CA 链就绪" in pristine_ca.output
    devca_dir = pristine_ca.instance / "devca"
    for role, eku in (("tsa", "Time Stamping"), ("platform", None)):
        cert, key, chain = (devca_dir / role / f"{role}.pem", devca_dir / role / f"{role}.key.pem",
                            devca_dir / role / "chain.pem")
        text = openssl("x509", "-in", str(cert), "-noout", "-text").stdout.decode()
        assert re.search(r"Key Usage: critical\s+Digital Signature, Non Repudiation", text)
        if eku:
            assert re.search(r"Extended Key Usage: critical\s+Time Stamping\s", text)
        else:
            assert "Extended Key Usage" not in text
        purpose = ["-purpose", "timestampsign"] if eku else []
        openssl("verify", *purpose, "-attime", str(int(T0.timestamp()) + 60), "-CAfile", str(chain), str(cert))
        assert key_matches_certificate(load_private_key(key.read_bytes()), load_certificate(cert.read_bytes()).public_key)
        assert oct(key.stat().st_mode & 0o777) == "0o600"
    # again on the copy: everything kept, nothing issued
    again = invoke(cli_app, "devca", "init")
    assert again.exit_code == 0, again.output
    assert again.output.count("沿用 kept") == 4 and "新签发" not in again.output


def test_init_issues_the_transport_certificate_for_keys_sent_back_by_the_agent(pristine_ca, cli_app, openssl):
    """The third platform certificate receives content keys re-encrypted by the local agent (the
    self-test, later the opening): keyEncipherment, no signing, beside the receipt certificate."""
    platform = pristine_ca.instance / "devca" / "platform"
    cert, key = platform / "transport.pem", platform / "transport.key.pem"
    text = openssl("x509", "-in", str(cert), "-noout", "-text").stdout.decode()
    assert re.search(r"Key Usage: critical\s+Key Encipherment", text)
    assert "Digital Signature" not in text and "Extended Key Usage" not in text
    openssl("verify", "-attime", str(int(T0.timestamp()) + 60), "-CAfile", str(platform / "chain.pem"), str(cert))
    assert key_matches_certificate(load_private_key(key.read_bytes()), load_certificate(cert.read_bytes()).public_key)
    assert oct(key.stat().st_mode & 0o777) == "0o600"


def test_issue_rsa_file_key_with_out_dir(cli_app, devca, tmp_path, openssl):
    out = tmp_path / "out"
    result = _issue(cli_app, "--profile", "netca", "--alg", "rsa", "--type", "institution", "--name", "甲公司",
                    "--code", CODE, "--pass-env", "KEYPASS", "--out", str(out))
    serial = _serial(result.output)
    cert_file, p12 = out / f"{serial:X}.pem", out / f"{serial:X}.p12"
    key, cert, _ = pkcs12.load_key_and_certificates(p12.read_bytes(), PASS["KEYPASS"].encode())
    assert cert.serial_number == serial and oct(p12.stat().st_mode & 0o777) == "0o600"
    openssl("verify", "-attime", str(int(T0.timestamp()) + 60), "-CAfile", str(out / "chain-netca-rsa.pem"),
            str(cert_file))
    trust = devca.trust_list()
    assert trust.identity(load_certificate(cert_file.read_bytes())).credit_code == CODE
    assert trust.validate(load_certificate(cert_file.read_bytes()), T0, "stamping", crls=devca.crls()).ok


def test_issue_sm2_natural_person_encryption(cli_app, devca):
    result = _issue(cli_app, "--profile", "bjca", "--alg", "sm2", "--type", "natural_person", "--name", "张三",
                    "--code", ID_NUMBER, "--purpose", "encryption", "--years", "2", "--pass-env", "KEYPASS")
    rec = devca.record(_serial(result.output))
    assert (rec.algorithm, rec.kind, rec.id_number, rec.purpose) == ("sm2", "natural_person", ID_NUMBER, "encryption")
    assert datetime.fromisoformat(rec.not_after).year == T0.year + 2
    key = load_private_key(devca.path(rec.key_file).read_bytes(), PASS["KEYPASS"].encode())
    assert key_matches_certificate(key, devca.certificate(rec.serial).public_key)
    assert devca.trust_list().validate(devca.certificate(rec.serial), T0, "encryption", crls=devca.crls()).ok


def test_list_and_show(cli_app, openssl, tmp_path):
    out = tmp_path / "o"
    serial = _serial(_issue(cli_app, "--profile", "gdca", "--alg", "ec", "--type", "legal_representative",
                            "--name", "李四", "--org", "乙公司", "--code", CODE, "--pass-env", "KEYPASS",
                            "--out", str(out)).output)
    listing = invoke(cli_app, "devca", "list")
    assert listing.exit_code == 0
    line = next(line for line in listing.output.splitlines() if line.startswith(f"{serial:X} "))
    assert "valid" in line and "gdca-ec" in line and "legal_representative" in line and "李四" in line
    shown = invoke(cli_app, "devca", "show", f"{serial:X}")
    assert shown.exit_code == 0, shown.output + shown.stderr
    fingerprint = openssl("x509", "-in", str(out / f"{serial:X}.pem"), "-noout", "-fingerprint",
                          "-sha256").stdout.decode().split("=")[1].strip().replace(":", "").lower()
    assert f"SHA-256:       {fingerprint}" in shown.output
    assert "EC secp256r1" in shown.output


def test_revoke_publishes_crl(cli_app, devca, openssl, tmp_path):
    serial = _serial(_issue(cli_app, "--profile", "cfca", "--alg", "rsa", "--type", "institution", "--name", "丙公司",
                            "--code", CODE, "--pass-env", "KEYPASS").output)
    result = invoke(cli_app, "devca", "revoke", f"{serial:X}", "--reason", "key_compromise")
    assert result.exit_code == 0, result.output + result.stderr
    crl_file = tmp_path / "cfca-rsa.crl"
    crl_file.write_bytes(devca.crl("cfca", "rsa"))
    text = openssl("crl", "-inform", "DER", "-in", str(crl_file), "-noout", "-text").stdout.decode()
    assert re.search(rf"Serial Number: 0*{serial:X}\s+Revocation Date", text)
    assert "Key Compromise" in text
    later = T0 + timedelta(hours=1)
    assert devca.trust_list().validate(devca.certificate(serial), later, crls=devca.crls()).codes == ("revoked",)

    again = invoke(cli_app, "devca", "revoke", f"{serial:X}", "--reason", "key_compromise")
    assert "已于" in assert_one_line_error(again)

    listing = invoke(cli_app, "devca", "crl")
    line = next(line for line in listing.output.splitlines() if line.startswith("cfca-rsa.crl"))
    assert "吊销 revoked: 1" in line
    number = int(re.search(r"#(\d+)", line).group(1))
    published = invoke(cli_app, "devca", "crl", "--publish")
    assert published.exit_code == 0
    line = next(line for line in published.output.splitlines() if line.startswith("cfca-rsa.crl"))
    assert int(re.search(r"#(\d+)", line).group(1)) == number + 1


def test_renew_follows_r7(cli_app, devca, clock):
    serial = _serial(_issue(cli_app, "--profile", "netca", "--alg", "sm2", "--type", "institution", "--name", "丁公司",
                            "--code", CODE, "--pass-env", "KEYPASS").output)
    too_early = invoke(cli_app, "devca", "renew", f"{serial:X}", "--pass-env", "KEYPASS", env=PASS)
    assert "续期" in assert_one_line_error(too_early)
    clock.advance(days=300)                      # 65 days left: the renewal window is open
    result = invoke(cli_app, "devca", "renew", f"{serial:X}", "--years", "2", "--pass-env", "KEYPASS", env=PASS)
    assert result.exit_code == 0, result.output + result.stderr
    old, new = devca.record(serial), devca.record(_serial(result.output))
    assert new.replaces == serial and new.replacement == "renewal" and old.status == "valid"
    assert datetime.fromisoformat(new.not_after) == datetime.fromisoformat(old.not_after).replace(
        year=datetime.fromisoformat(old.not_after).year + 2)


def test_replace_key_keeps_expiry_and_revokes(cli_app, devca):
    serial = _serial(_issue(cli_app, "--profile", "hbca", "--alg", "ec", "--type", "institution", "--name", "戊公司",
                            "--code", CODE, "--pass-env", "KEYPASS").output)
    result = invoke(cli_app, "devca", "replace-key", f"{serial:X}", "--pass-env", "KEYPASS", env=PASS)
    assert result.exit_code == 0, result.output + result.stderr
    old, new = devca.record(serial), devca.record(_serial(result.output))
    assert old.status == "revoked" and old.revocation_reason == "key_compromise"
    assert new.not_after == old.not_after and new.replacement == "lost_key"
    assert devca.certificate(new.serial).public_key.dump() != devca.certificate(serial).public_key.dump()


def test_change_subject_keeps_number(cli_app, devca):
    serial = _serial(_issue(cli_app, "--profile", "netca", "--alg", "rsa", "--type", "institution", "--name", "己公司",
                            "--code", CODE, "--pass-env", "KEYPASS").output)
    result = invoke(cli_app, "devca", "change-subject", f"{serial:X}", "--name", "己公司（更名）",
                    "--pass-env", "KEYPASS", env=PASS)
    assert result.exit_code == 0, result.output + result.stderr
    old, new = devca.record(serial), devca.record(_serial(result.output))
    assert old.revocation_reason == "superseded" and new.name == "己公司（更名）" and new.credit_code == CODE
    assert devca.trust_list().identity(devca.certificate(new.serial)).name == "己公司（更名）"


BASE = ["devca", "issue", "--profile", "netca", "--alg", "rsa", "--type", "institution", "--name", "甲"]


@pytest.mark.parametrize("args, env, expected", [
    (["devca", "issue", "--profile", "nosuchca", "--alg", "rsa", "--type", "institution", "--name", "甲",
      "--code", CODE, "--pass-env", "KEYPASS"], PASS, "nosuchca"),
    (BASE + ["--code", "91110108551385082A", "--pass-env", "KEYPASS"], PASS, "校验位"),
    (BASE + ["--code", "123", "--pass-env", "KEYPASS"], PASS, "18 位"),
    (["devca", "issue", "--profile", "gdca", "--alg", "rsa", "--type", "institution", "--name", "甲",
      "--code", CODE, "--pass-env", "KEYPASS"], PASS, "不提供 RSA"),
    (BASE + ["--code", CODE], PASS, "--pass-env"),
    (BASE + ["--code", CODE, "--pass-env", "NOT_SET_ANYWHERE"], {}, "NOT_SET_ANYWHERE"),
    (BASE + ["--code", CODE, "--pass-env", "KEYPASS", "--years", "5"], PASS, "服务期"),
    (["devca", "issue", "--profile", "netca", "--alg", "dsa", "--type", "institution", "--name", "甲",
      "--code", CODE], PASS, "--alg"),
    (["devca", "issue", "--profile", "netca"], PASS, "Missing option"),
    (["devca", "issue", "--profile", "netca", "--alg", "rsa", "--type", "legal_representative", "--name", "甲",
      "--code", CODE, "--pass-env", "KEYPASS"], PASS, "机构名称"),
    (["devca", "show", "xyz"], {}, "十六进制"),
    (["devca", "show", "FFFFFF"], {}, "FFFFFF"),
    (["devca", "revoke", "1000", "--reason", "because"], {}, "吊销原因"),
    (["devca", "renew", "FFFFFF", "--pass-env", "KEYPASS"], PASS, "FFFFFF"),
    (["devca", "nosuchcommand"], {}, "nosuchcommand"),
])
def test_bad_input_gives_one_line(cli_app, args, env, expected):
    result = invoke(cli_app, *args, env=env)
    message = assert_one_line_error(result)
    assert expected in message


def test_bad_input_changes_nothing(cli_app, devca):
    before = (devca.state_dir / "index.json").read_bytes()
    assert_one_line_error(invoke(cli_app, *BASE, "--code", "91110108551385082A", "--pass-env", "KEYPASS", env=PASS))
    assert (devca.state_dir / "index.json").read_bytes() == before


def test_help_texts(cli_app):
    for command in ("issue", "list", "show", "revoke", "renew", "replace-key", "change-subject", "crl", "init"):
        result = invoke(cli_app, "devca", command, "--help")
        assert result.exit_code == 0 and "Usage:" in result.output
    assert "--pin-env" in invoke(cli_app, "devca", "issue", "--help").output
