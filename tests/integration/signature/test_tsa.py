"""The RFC 3161 TSA against ``openssl ts`` (queries it writes, replies it verifies and prints), the
client over HTTP and in process, timestamps on CMS signatures, serial numbers, rejections."""
from __future__ import annotations

import hashlib
import http.server
import os
import re
import threading

import pytest
from asn1crypto import tsp
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from pki.signature import TimestampError, sign, verify
from pki.errors import PkiError
from pki.signature import TimestampMismatch
from pki.timestamps import (MemorySerialCounter, RandomSerials, TimeStampAuthority, TimeStampResp,
                            TsaAddressInvalid, TsaConfigurationError, add_timestamp, build_request,
                            extract_timestamp_token, request_token, verify_timestamp_token)

TSA_POLICY = "1.3.6.1.4.1.99999.1.1"   # as in conftest.py

DATA = b"bid envelope bytes \x00\x01\x02" * 50


@pytest.fixture()
def files(tmp_path, tsa_chain):
    data = tmp_path / "data.bin"
    data.write_bytes(DATA)
    untrusted = tmp_path / "untrusted.pem"
    untrusted.write_bytes(tsa_chain.leaf_pem.read_bytes() + tsa_chain.intermediate_pem.read_bytes())
    return tmp_path, data, untrusted


def _status(resp_der: bytes):
    resp = TimeStampResp.load(resp_der)
    return resp["status"]["status"].native, set(resp["status"]["fail_info"].native or ())


@pytest.mark.parametrize("with_cert", [True, False], ids=["certReq", "no-certReq"])
def test_openssl_query_reply_verify(run_openssl, attime, tsa, tsa_chain, files, with_cert):
    tmp, data, untrusted = files
    query = tmp / "req.tsq"
    run_openssl("ts", "-query", "-data", data, "-sha256", *(["-cert"] if with_cert else []), "-out", query)
    reply = tmp / "resp.tsr"
    reply.write_bytes(tsa.respond(query.read_bytes()))
    text = run_openssl("ts", "-reply", "-in", reply, "-text").stdout.decode()
    assert "Status: Granted." in text
    assert f"Policy OID: {TSA_POLICY}" in text
    assert "Hash Algorithm: sha256" in text
    assert "Time stamp: Dec  1 12:00:00 2026 GMT" in text
    assert "Accuracy: 0x01 seconds" in text
    assert "Serial number: 0x03E9" in text                     # the counter started at 1000
    nonce = tsp.TimeStampReq.load(query.read_bytes())["nonce"].native
    assert int(re.search(r"Nonce: 0x([0-9A-F]+)", text).group(1), 16) == nonce
    assert "TSA: DirName:" in text
    for how in (["-data", data], ["-queryfile", query]):
        proc = run_openssl("ts", "-verify", *how, "-in", reply, "-CAfile", tsa_chain.root_pem, "-untrusted",
                           untrusted, "-attime", attime)
        assert b"Verification: OK" in proc.stdout
    # our own check of the same token; certificates only when asked for
    token = TimeStampResp.load(reply.read_bytes())["time_stamp_token"].dump()
    carried = verify.__globals__["load_signed_data"](token)[1]["certificates"]
    assert (len(carried) if carried.contents else 0) == (2 if with_cert else 0)
    info = verify_timestamp_token(token, data=DATA, trust_roots=[tsa_chain.root],
                                  intermediates=[tsa_chain.leaf, tsa_chain.intermediate])
    assert info.ok, info.reasons
    assert info.serial_number == 1001 and info.nonce == nonce and info.policy == TSA_POLICY
    assert "测试时间戳服务" in info.tsa_name and info.accuracy_seconds == 1


def test_openssl_rejects_other_data(run_openssl, attime, tsa, tsa_chain, files):
    tmp, data, untrusted = files
    reply = tmp / "resp.tsr"
    reply.write_bytes(tsa.respond(build_request(hashlib.sha256(DATA).digest())))
    other = tmp / "other.bin"
    other.write_bytes(DATA + b"x")
    proc = run_openssl("ts", "-verify", "-data", other, "-in", reply, "-CAfile", tsa_chain.root_pem, "-untrusted",
                       untrusted, "-attime", attime, check=False)
    assert proc.returncode != 0 and b"Verification: FAILED" in proc.stdout


def test_ec_tsa_with_openssl(run_openssl, attime, ec_tsa_chain, clock, tmp_path):
    tsa = TimeStampAuthority(ec_tsa_chain.key, ec_tsa_chain.leaf, [ec_tsa_chain.intermediate], TSA_POLICY, clock)
    data = tmp_path / "d"
    data.write_bytes(b"ec")
    query = tmp_path / "q"
    run_openssl("ts", "-query", "-data", data, "-sha384", "-cert", "-out", query)
    reply = tmp_path / "r"
    reply.write_bytes(tsa.respond(query.read_bytes()))
    proc = run_openssl("ts", "-verify", "-queryfile", query, "-in", reply, "-CAfile", ec_tsa_chain.root_pem,
                       "-attime", attime)
    assert b"Verification: OK" in proc.stdout


REJECTIONS = [
    (lambda: b"\x30\x03\x02\x01\x01", "bad_data_format"),
    (lambda: b"garbage", "bad_data_format"),
    (lambda: build_request(hashlib.sha1(DATA).digest(), "sha1"), "bad_alg"),
    (lambda: build_request(b"\x00" * 20, "sha256"), "bad_data_format"),
    (lambda: build_request(hashlib.sha256(DATA).digest(), policy="1.2.3.4.5"), "unaccepted_policy"),
    (lambda: tsp.TimeStampReq({"version": "v1", "message_imprint": {"hash_algorithm": {"algorithm": "sha256"},
                                                                    "hashed_message": b"\x00" * 32},
                               "extensions": [{"extn_id": "1.2.3", "extn_value": b"x"}]}).dump(),
     "unaccepted_extensions"),
]


@pytest.mark.parametrize("make,fail", REJECTIONS, ids=[f"{i}-{f}" for i, (_, f) in enumerate(REJECTIONS)])
def test_rejections(run_openssl, tsa, tmp_path, make, fail):
    resp = tsa.respond(make())
    status, fail_info = _status(resp)
    assert status == "rejection" and fail_info == {fail}
    (tmp_path / "r").write_bytes(resp)
    text = run_openssl("ts", "-reply", "-in", tmp_path / "r", "-text").stdout.decode()
    assert "Status: Rejected" in text
    with pytest.raises(TimestampError) as err:
        request_token(hashlib.sha256(DATA).digest(), responder=lambda _req: resp, nonce=False)
    assert err.value.fail_info == (fail,)


def test_md5_query_from_openssl_is_rejected(run_openssl, tsa, tmp_path):
    (tmp_path / "d").write_bytes(b"x")
    run_openssl("ts", "-query", "-data", tmp_path / "d", "-md5", "-out", tmp_path / "q")
    assert _status(tsa.respond((tmp_path / "q").read_bytes())) == ("rejection", {"bad_alg"})


def test_random_serials_are_distinct_positive_and_fit_rfc3161():
    serials = RandomSerials()
    got = [serials.next_serial() for _ in range(1000)]
    assert len(set(got)) == 1000
    assert all(0 < s < 2**160 for s in got)
    assert all(s.bit_length() == 128 for s in got)      # top bit set: one DER length for every serial


def test_default_tsa_uses_random_serials(run_openssl, tsa_chain, clock, tmp_path):
    tsa = TimeStampAuthority(tsa_chain.key, tsa_chain.leaf, [], TSA_POLICY, clock)   # no counter given
    assert isinstance(tsa.serials, RandomSerials)
    reply = tmp_path / "r.tsr"
    reply.write_bytes(tsa.respond(build_request(hashlib.sha256(DATA).digest())))
    token = TimeStampResp.load(reply.read_bytes())["time_stamp_token"].dump()
    serial = verify_timestamp_token(token, trust_roots=[tsa_chain.root],
                                    intermediates=[tsa_chain.intermediate]).serial_number
    text = run_openssl("ts", "-reply", "-in", reply, "-text").stdout.decode()
    assert int(re.search(r"Serial number: 0x([0-9A-F]+)", text).group(1), 16) == serial
    assert serial.bit_length() == 128


def test_memory_counter_is_thread_safe():
    threads_counter = MemorySerialCounter()
    got: list[int] = []
    workers = [threading.Thread(target=lambda: got.extend(threads_counter.next_serial() for _ in range(200)))
               for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert sorted(got) == list(range(1, 801))


def test_nonce_echoed_and_checked(tsa):
    req = build_request(b"\x11" * 32, nonce=123456789)
    resp = TimeStampResp.load(tsa.respond(req))
    tst = tsp.TSTInfo.load(bytes(resp["time_stamp_token"]["content"]["encap_content_info"]["content"]))
    assert tst["nonce"].native == 123456789
    # a TSA answering with another nonce is refused by the client: the answer does not hold
    with pytest.raises(TimestampMismatch) as err:
        request_token(b"\x11" * 32, responder=lambda _req: tsa.respond(req))
    assert err.value.kind == "integrity" and err.value.code == "timestamp_mismatch"


def test_tsa_certificate_must_have_critical_eku(tmp_path, clock, rsa_chain, chain_factory):
    _make_chain = chain_factory
    new = lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)  # noqa: E731
    with pytest.raises(TsaConfigurationError):
        TimeStampAuthority(rsa_chain.key, rsa_chain.leaf, [], TSA_POLICY, clock)        # no EKU at all
    wrong = _make_chain(tmp_path / "w", "W", new, eku=[ExtendedKeyUsageOID.CODE_SIGNING])
    with pytest.raises(TsaConfigurationError):
        TimeStampAuthority(wrong.key, wrong.leaf, [], TSA_POLICY, clock)
    tsa_ok = _make_chain(tmp_path / "ok", "OK", new, eku=[ExtendedKeyUsageOID.TIME_STAMPING])
    with pytest.raises(TsaConfigurationError):                                          # key not the cert's
        TimeStampAuthority(rsa_chain.key, tsa_ok.leaf, [], TSA_POLICY, clock)


class _Handler(http.server.BaseHTTPRequestHandler):
    tsa = None
    seen: list = []

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).seen.append(self.headers["Content-Type"])
        answer = type(self).tsa.respond(body)
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture()
def tsa_url(tsa):
    _Handler.tsa, _Handler.seen = tsa, []
    server = http.server.HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/tsa"
    server.shutdown()
    server.server_close()


def test_client_over_http(tsa_url, tsa_chain):
    digest = hashlib.sha256(b"over http").digest()
    token = request_token(digest, url=tsa_url)
    assert _Handler.seen == ["application/timestamp-query"]
    info = verify_timestamp_token(token, data=b"over http", trust_roots=[tsa_chain.root])
    assert info.ok, info.reasons
    with pytest.raises(TimestampError) as err:
        request_token(digest, url="http://127.0.0.1:9/none", timeout=2)
    assert err.value.kind == "unavailable" and isinstance(err.value, PkiError)
    with pytest.raises(TsaAddressInvalid) as err:
        request_token(digest, url="file:///etc/passwd")
    assert err.value.kind == "input"


def test_timestamped_signature_with_openssl(run_openssl, attime, now, rsa_chain, tsa_chain, tsa, tsa_url, files):
    tmp, data, untrusted = files
    signed = sign(data, key=rsa_chain.key, certificate=rsa_chain.leaf, chain=[rsa_chain.intermediate],
                  detached=True, signing_time=now)
    stamped = add_timestamp(signed, tsa_url)
    sig = tmp / "stamped.p7s"
    sig.write_bytes(stamped)
    proc = run_openssl("cms", "-verify", "-inform", "DER", "-in", sig, "-content", data, "-binary", "-CAfile",
                       rsa_chain.root_pem, "-attime", attime, "-out", os.devnull)
    assert b"Verification successful" in proc.stderr
    printed = run_openssl("cms", "-cmsout", "-print", "-inform", "DER", "-in", sig).stdout.decode()
    assert "id-smime-aa-timeStampToken" in printed
    result = verify(stamped, content=data, trust_roots=[rsa_chain.root], tsa_trust_roots=[tsa_chain.root])
    assert result.ok, result.reasons
    assert result.timestamp.ok and result.timestamp.gen_time == now and result.checked_at == now
    assert "测试时间戳服务" in result.timestamp.tsa_name
    # the token alone, against the signature value, with openssl ts
    token = tmp / "token.der"
    token.write_bytes(extract_timestamp_token(stamped))
    si = verify.__globals__["load_signed_data"](stamped)[1]["signer_infos"][0]
    digest = hashlib.sha256(si["signature"].native).hexdigest()
    proc = run_openssl("ts", "-verify", "-in", token, "-token_in", "-digest", digest, "-CAfile", tsa_chain.root_pem,
                       "-untrusted", untrusted, "-attime", attime)
    assert b"Verification: OK" in proc.stdout
    # the signed part is untouched: the stamped and unstamped signature share everything but the attribute
    assert signed[-256:] in stamped


def test_timestamp_from_wrong_tsa_root_or_for_other_signature(now, rsa_chain, tsa_chain, other_chain, tsa):
    first = sign(b"a", key=rsa_chain.key, certificate=rsa_chain.leaf, signing_time=now, pss=True)
    stamped = add_timestamp(first, tsa)
    result = verify(stamped, trust_roots=[rsa_chain.root], intermediates=[rsa_chain.intermediate],
                    tsa_trust_roots=[other_chain.root], at=now)
    assert not result.ok and result.codes == ("timestamp_invalid",)
    assert "untrusted_issuer" in result.timestamp.codes
    # the same signed attributes signed again (PSS: another signature value) under the first token
    second = sign(b"a", key=rsa_chain.key, certificate=rsa_chain.leaf, signing_time=now, pss=True)
    sig_of = lambda der: verify.__globals__["load_signed_data"](der)[1]["signer_infos"][0]["signature"].native  # noqa: E731
    assert sig_of(first) != sig_of(second)
    moved = stamped.replace(sig_of(first), sig_of(second))
    result = verify(moved, trust_roots=[rsa_chain.root], intermediates=[rsa_chain.intermediate],
                    tsa_trust_roots=[tsa_chain.root], at=now)
    assert not result.ok and result.codes == ("timestamp_invalid",)
    assert result.timestamp.codes == ("imprint_mismatch",)
    # and the client refuses a TSA answer for another digest
    token_resp = tsa.respond(build_request(b"\x22" * 32))
    with pytest.raises(TimestampError):
        add_timestamp(first, lambda _req: token_resp)


def test_require_timestamp(now, ec_chain, tsa_chain, tsa):
    plain = sign(b"receipt", key=ec_chain.key, certificate=ec_chain.leaf, chain=[ec_chain.intermediate],
                 signing_time=now)
    kw = dict(trust_roots=[ec_chain.root], tsa_trust_roots=[tsa_chain.root], at=now)
    assert verify(plain, **kw).ok
    assert verify(plain, require_timestamp=True, **kw).codes == ("timestamp_missing",)
    stamped = add_timestamp(plain, tsa)       # in process: the platform stamping its own receipt
    result = verify(stamped, require_timestamp=True, **kw)
    assert result.ok and result.timestamp.serial_number == 1001
    assert extract_timestamp_token(plain) is None
    # stamping twice replaces the token rather than piling them up
    again = add_timestamp(stamped, tsa)
    assert verify(again, require_timestamp=True, **kw).timestamp.serial_number == 1002
