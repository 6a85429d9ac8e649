"""CRL distribution and the /tsa endpoint's HTTP contract."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

# HTTP behaviour only: one database backend is enough (the DB tests run on both).
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
def crl_dir(app) -> Path:
    directory = Path(app.config["CRL_DIR"])
    directory.mkdir(parents=True)
    (directory / "devca-root.crl").write_bytes(b"\x30\x03\x02\x01\x01")
    (directory.parent / "secret.key").write_bytes(b"private")
    return directory


def test_crl_is_served_as_der(client, crl_dir):
    response = client.get("/crl/devca-root.crl")
    assert response.status_code == 200
    assert response.mimetype == "application/pkix-crl"
    assert response.data == b"\x30\x03\x02\x01\x01"


@pytest.mark.parametrize("path", [
    "/crl/missing.crl",
    "/crl/../secret.key",
    "/crl/..%2Fsecret.key.crl",
    "/crl/%2e%2e%2fsecret.crl",
    "/crl/..crl",
    "/crl/.hidden.crl",
    "/crl/a%00b.crl",
    "/crl/devca-root.crl/",
])
def test_crl_paths_outside_the_directory_are_refused(client, crl_dir, path):
    response = client.get(path)
    assert response.status_code == 404
    assert b"private" not in response.data


def test_tsa_refuses_other_content_types_with_415(client):
    for content_type in ("application/octet-stream", "text/plain", None):
        headers = {"Content-Type": content_type} if content_type else {}
        response = client.post("/tsa", data=b"\x30\x00", headers=headers)
        assert response.status_code == 415
        assert response.json["error"]["code"] == "unsupported_media_type"
        assert "application/timestamp-query" in response.json["error"]["message"]


def test_tsa_is_exempt_from_csrf(app):
    app.config["WTF_CSRF_ENABLED"] = True
    response = app.test_client().post("/tsa", data=b"x", content_type="text/plain")
    assert response.status_code == 415


def test_tsa_refuses_oversized_and_empty_requests(client, app):
    big = b"\x30" * (app.config["TSA_MAX_REQUEST"] + 1)
    assert client.post("/tsa", data=big, content_type="application/timestamp-query").status_code == 413
    assert client.post("/tsa", data=b"", content_type="application/timestamp-query").status_code == 400


def test_tsa_passes_the_request_to_the_configured_authority(app):
    seen = []

    class Recorder:
        def respond(self, request_der: bytes) -> bytes:
            seen.append(request_der)
            return b"\x30\x03\x02\x01\x00"

    app.config["TSA_FACTORY"] = lambda application: Recorder()
    response = app.test_client().post("/tsa", data=b"\x30\x01\x00",
                                      content_type="application/timestamp-query")
    assert response.status_code == 200
    assert response.mimetype == "application/timestamp-reply"
    assert response.data == b"\x30\x03\x02\x01\x00"
    assert seen == [b"\x30\x01\x00"]


def test_tsa_without_key_files_is_503_in_chinese(client):
    response = client.post("/tsa", data=b"\x30\x00", content_type="application/timestamp-query")
    assert response.status_code == 503
    assert response.json["error"]["message"].startswith("时间戳服务尚未配置")
    assert "时间戳" in response.get_data(as_text=True)   # not \\u-escaped


def _write_tsa_files(directory: Path) -> Path:
    """A small CA and a TSA certificate (critical EKU timeStamping) issued by it; returns the CA."""
    from datetime import datetime, timezone

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    start, end = datetime(2026, 1, 1, tzinfo=timezone.utc), datetime(2031, 1, 1, tzinfo=timezone.utc)
    ca_key, tsa_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(name("测试 CA")).issuer_name(name("测试 CA"))
          .public_key(ca_key.public_key()).serial_number(1).not_valid_before(start)
          .not_valid_after(end)
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                         critical=True)
          .sign(ca_key, hashes.SHA256()))
    tsa = (x509.CertificateBuilder().subject_name(name("平台时间戳服务")).issuer_name(ca.subject)
           .public_key(tsa_key.public_key()).serial_number(2).not_valid_before(start)
           .not_valid_after(end)
           .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
           .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False),
                          critical=True)
           .sign(ca_key, hashes.SHA256()))
    directory.mkdir(parents=True)
    (directory / "tsa.pem").write_bytes(tsa.public_bytes(serialization.Encoding.PEM))
    (directory / "chain.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (directory / "tsa.key.pem").write_bytes(tsa_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return directory / "chain.pem"


def test_tsa_built_from_files_answers_openssl(app, client, tmp_path):
    """`openssl ts -query` → POST /tsa → `openssl ts -verify` against the CA: a real round trip."""
    ca_file = _write_tsa_files(Path(app.config["DEVCA_DIR"]) / "tsa")
    data = tmp_path / "document.txt"
    data.write_text("投标文件摘要", encoding="utf-8")
    query = subprocess.run(["openssl", "ts", "-query", "-data", str(data), "-sha256", "-cert"],
                           capture_output=True, check=True).stdout
    response = client.post("/tsa", data=query, content_type="application/timestamp-query")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/timestamp-reply"
    reply = tmp_path / "reply.tsr"
    reply.write_bytes(response.data)
    verify = subprocess.run(["openssl", "ts", "-verify", "-data", str(data), "-in", str(reply),
                             "-CAfile", str(ca_file)], capture_output=True, text=True)
    assert verify.returncode == 0 and "Verification: OK" in verify.stdout, verify.stderr
    text = subprocess.run(["openssl", "ts", "-reply", "-in", str(reply), "-text"],
                          capture_output=True, text=True, check=True).stdout
    assert app.config["TSA_POLICY_OID"] in text
    assert "Nov 23 08:00:00" in text and "2026" in text     # the app's (frozen) clock
    # random 128-bit serials (RFC 3161 §2.4.2: unique per TSA): nothing shared between workers or hosts
    first_serial = int(re.search(r"Serial number: 0x([0-9A-F]+)", text).group(1), 16)
    assert first_serial.bit_length() == 128
    second = client.post("/tsa", data=query, content_type="application/timestamp-query")
    assert second.status_code == 200
    reply.write_bytes(second.data)
    text = subprocess.run(["openssl", "ts", "-reply", "-in", str(reply), "-text"],
                          capture_output=True, text=True, check=True).stdout
    assert int(re.search(r"Serial number: 0x([0-9A-F]+)", text).group(1), 16) != first_serial
    assert sorted(p.name for p in (Path(app.config["DEVCA_DIR"]) / "tsa").iterdir()) == [
        "chain.pem", "tsa.key.pem", "tsa.pem"]                  # no counter file written
