"""Write the fuzz suite's seed corpus into tests/fuzz/corpus/ (run by hand, the result is committed).

    .venv/bin/python tests/fuzz/make_corpus.py

The corpus is fixed bytes so that a seed replays the very same case on every machine: keys,
certificates (valid 2026-01-01 to 2036-01-01, checked at :data:`AT`), envelopes, signatures, bid
packages and time-stamp requests, some written by the project and some by the openssl command line.
``index.json`` says how to open each item. Run it again only when a format changes, and say so in
the commit: old seeds then replay against new bytes.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from asn1crypto import pem, tsp
from asn1crypto import x509 as ax509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

import pki  # noqa: F401  (registers the GM OIDs with asn1crypto)
from bidding.clock import FrozenClock
from pki import envelope, signature
from pki.identity import credit_code_check_char
from pki.keyops import FileKey
from pki.sm2 import Sm2PrivateKey
from pki.timestamps import (
    MemorySerialCounter,
    TimeStampAuthority,
    add_timestamp,
    build_request,
)

CORPUS = HERE / "corpus"
NOT_BEFORE = datetime(2026, 1, 1, tzinfo=UTC)
NOT_AFTER = datetime(2036, 1, 1, tzinfo=UTC)
AT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
TSA_POLICY = "1.3.6.1.4.1.99999.1.1"
CODE = "9111010855" + "0000042"
CODE += credit_code_check_char(CODE)
TENDER = "GD-2026-FUZZ"
#: Deterministic plaintexts: the same bytes in every corpus.
PLAIN = hashlib.sha256(b"fuzz").digest() * 47                  # 1504 bytes, not a block multiple
DOCUMENT = "投标文件清单摘要 — fuzz document\n".encode() * 20


def _name(cn: str, serial_number: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "模糊测试机构"),
             x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if serial_number:
        attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, serial_number))
    return x509.Name(attrs)


def _cert(subject, issuer, public_key, signing_key, serial, *, ca=False, usage="sign", eku=None):
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
         .serial_number(serial).not_valid_before(NOT_BEFORE).not_valid_after(NOT_AFTER)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()), critical=False))
    flags = dict(digital_signature=False, content_commitment=False, key_encipherment=False, data_encipherment=False,
                 key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False)
    if ca:
        flags.update(key_cert_sign=True, crl_sign=True)
    elif usage == "sign":
        flags.update(digital_signature=True, content_commitment=True)
    elif isinstance(public_key, ec.EllipticCurvePublicKey):
        flags.update(key_agreement=True)
    else:
        flags.update(key_encipherment=True)
    b = b.add_extension(x509.KeyUsage(**flags), critical=True)
    if eku:
        b = b.add_extension(x509.ExtendedKeyUsage(eku), critical=True)
    return b.sign(signing_key, hashes.SHA256())


def _sm2_cert(cn, issuer_cn, key: Sm2PrivateKey, signer: Sm2PrivateKey, serial, *, ca=False, usage="sign"):
    def name(value):
        parts = {"country_name": "CN", "organization_name": "模糊测试国密机构", "common_name": value}
        if not ca and value == cn and usage == "sign":
            parts["serial_number"] = CODE
        return ax509.Name.build(parts)
    flags = ({"key_cert_sign", "crl_sign"} if ca else {"digital_signature", "non_repudiation"} if usage == "sign"
             else {"key_encipherment"})
    tbs = ax509.TbsCertificate({
        "version": "v3", "serial_number": serial, "signature": {"algorithm": "sm2sign_with_sm3"},
        "issuer": name(issuer_cn) if not ca else name(cn),
        "validity": {"not_before": ax509.Time({"utc_time": NOT_BEFORE}), "not_after": ax509.Time({"utc_time": NOT_AFTER})},
        "subject": name(cn), "subject_public_key_info": key.public_key.to_spki(),
        "extensions": [{"extn_id": "basic_constraints", "critical": True, "extn_value": {"ca": ca}},
                       {"extn_id": "key_usage", "critical": True, "extn_value": flags}],
    })
    return ax509.Certificate({"tbs_certificate": tbs, "signature_algorithm": {"algorithm": "sm2sign_with_sm3"},
                              "signature_value": signer.sign(tbs.dump())})


def _write_key(path: Path, key) -> None:
    if isinstance(key, Sm2PrivateKey):
        path.write_bytes(pem.armor("PRIVATE KEY", key.to_private_key_info().dump()))
    else:
        path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))


def _write_cert(path: Path, cert) -> None:
    der = cert.public_bytes(serialization.Encoding.DER) if isinstance(cert, x509.Certificate) else cert.dump()
    path.write_bytes(pem.armor("CERTIFICATE", der))


def make_pki(out: Path) -> None:
    """root (RSA) → intermediate (RSA) → signing leaves (RSA, EC; credit code in serialNumber),
    encryption leaves (RSA, EC), the TSA (RSA, critical EKU timeStamping); SM2 root → SM2 leaves."""
    out.mkdir(parents=True)
    new_rsa = lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root_key, inter_key = new_rsa(), new_rsa()
    root_name, inter_name = _name("Fuzz Root CA"), _name("Fuzz Intermediate CA")
    _write_cert(out / "root.pem", _cert(root_name, root_name, root_key.public_key(), root_key, 1, ca=True))
    _write_cert(out / "inter.pem", _cert(inter_name, root_name, inter_key.public_key(), root_key, 2, ca=True))
    leaves = {"rsa-sign": (new_rsa(), "sign", None), "ec-sign": (ec.generate_private_key(ec.SECP256R1()), "sign", None),
              "rsa-enc": (new_rsa(), "encrypt", None), "ec-enc": (ec.generate_private_key(ec.SECP256R1()), "encrypt", None),
              "tsa": (new_rsa(), "sign", [ExtendedKeyUsageOID.TIME_STAMPING])}
    for serial, (label, (key, usage, eku)) in enumerate(leaves.items(), start=10):
        subject = _name(f"Fuzz {label}", CODE if usage == "sign" and not eku else None)
        _write_cert(out / f"{label}.pem", _cert(subject, inter_name, key.public_key(), inter_key, serial, usage=usage,
                                                eku=eku))
        _write_key(out / f"{label}.key", key)
    sm2_root, sm2_sign, sm2_enc = Sm2PrivateKey.generate(), Sm2PrivateKey.generate(), Sm2PrivateKey.generate()
    _write_cert(out / "sm2-root.pem", _sm2_cert("Fuzz SM2 Root", None, sm2_root, sm2_root, 20, ca=True))
    _write_cert(out / "sm2-sign.pem", _sm2_cert("Fuzz SM2 签名", "Fuzz SM2 Root", sm2_sign, sm2_root, 21))
    _write_cert(out / "sm2-enc.pem", _sm2_cert("Fuzz SM2 加密", "Fuzz SM2 Root", sm2_enc, sm2_root, 22, usage="encrypt"))
    _write_key(out / "sm2-sign.key", sm2_sign)
    _write_key(out / "sm2-enc.key", sm2_enc)


def _openssl(*args) -> None:
    subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True)


def make_envelopes(out: Path, pki_dir: Path, parties) -> list[dict]:
    out.mkdir(parents=True)
    items = []
    src = out.parent / "plain.bin"
    src.write_bytes(PLAIN)

    def ours(name, key, recipients, **options):
        envelope.encrypt_file(src, out / name, recipients=[parties[r][1] for r in recipients], **options)
        items.append({"file": f"envelope/{name}", "key": key, "openssl": not name.startswith("sm2")})

    ours("rsa-gcm-oaep.der", "rsa-enc", ["rsa-enc"])
    ours("rsa-cbc-pkcs1.der", "rsa-enc", ["rsa-enc"], cipher="aes-256-cbc", rsa_padding="pkcs1v15")
    ours("ec-gcm.der", "ec-enc", ["ec-enc"])
    ours("ec-cbc.der", "ec-enc", ["ec-enc"], cipher="aes-256-cbc")
    ours("rsa-ec-two-recipients.der", "ec-enc", ["rsa-enc", "ec-enc"])
    ours("sm2-sm4.der", "sm2-enc", ["sm2-enc"])
    ours("sm2-sm4-gmssl.der", "sm2-enc", ["sm2-enc"], gmssl_compat=True)
    read_fd, write_fd = os.pipe()                       # unknown size: BER, indefinite lengths
    with open(write_fd, "wb") as w:
        w.write(PLAIN)
    with open(read_fd, "rb", buffering=0) as r, open(out / "rsa-gcm-ber.der", "wb") as dst:
        envelope.encrypt_stream(r, dst, recipients=[parties["rsa-enc"][1]])
    items.append({"file": "envelope/rsa-gcm-ber.der", "key": "rsa-enc", "openssl": True})
    for name, cipher, key in (("openssl-rsa-gcm-stream.der", "-aes-256-gcm", "rsa-enc"),
                              ("openssl-ec-cbc.der", "-aes-256-cbc", "ec-enc")):
        stream = ["-stream"] if "stream" in name else []
        _openssl("cms", "-encrypt", "-binary", cipher, *stream, "-in", src, "-outform", "DER", "-out", out / name,
                 pki_dir / f"{key}.pem")
        items.append({"file": f"envelope/{name}", "key": key, "openssl": True})
    return items


def make_signatures(out: Path, pki_dir: Path, parties, tsa: TimeStampAuthority) -> list[dict]:
    out.mkdir(parents=True)
    (out.parent / "document.txt").write_bytes(DOCUMENT)
    inter = parties["inter"]
    items = []

    def ours(name, label, *, detached=False, pss=False, gmssl=False, chain=True, stamp=False):
        key, cert = parties[label]
        chain_certs = [inter] if chain and not label.startswith("sm2") else []
        der = signature.sign(DOCUMENT, key=key, certificate=cert, chain=chain_certs, detached=detached, pss=pss,
                             signing_time=AT, gmssl_compat=gmssl)
        if stamp:
            der = add_timestamp(der, tsa)
        (out / name).write_bytes(der)
        sm2 = label.startswith("sm2")
        items.append({"file": f"signature/{name}", "detached": detached, "root": "sm2-root" if sm2 else "root",
                      "intermediates": [] if chain or sm2 else ["inter"], "openssl": not sm2})

    ours("rsa-attached.der", "rsa-sign")
    ours("rsa-detached.der", "rsa-sign", detached=True)
    ours("rsa-pss-detached.der", "rsa-sign", detached=True, pss=True)
    ours("ec-attached.der", "ec-sign")
    ours("ec-detached-no-chain.der", "ec-sign", detached=True, chain=False)
    ours("rsa-timestamped.der", "rsa-sign", detached=True, stamp=True)
    ours("sm2-attached.der", "sm2-sign")
    ours("sm2-gmssl-detached.der", "sm2-sign", detached=True, gmssl=True)
    document = out.parent / "document.txt"
    for name, label, options in (("openssl-rsa-attached.der", "rsa-sign", ["-nodetach"]),
                                 ("openssl-ec-stream-attached.der", "ec-sign", ["-nodetach", "-stream"]),
                                 ("openssl-rsa-detached.der", "rsa-sign", [])):
        _openssl("cms", "-sign", "-binary", *options, "-in", document, "-signer", pki_dir / f"{label}.pem",
                 "-inkey", pki_dir / f"{label}.key", "-certfile", pki_dir / "inter.pem", "-md", "sha256",
                 "-outform", "DER", "-out", out / name)
        items.append({"file": f"signature/{name}", "detached": "-nodetach" not in options, "root": "root",
                      "intermediates": [], "openssl": True})
    return items


def make_bids(out: Path, parties) -> list[dict]:
    from bidding.bids.sealing import seal_bid
    out.mkdir(parents=True)
    files_dir = out.parent / "bid-files"
    files_dir.mkdir()
    files = [files_dir / "技术标.pdf", files_dir / "报价.xlsx", files_dir / "empty.txt"]
    files[0].write_bytes(b"%PDF-1.7 fuzz technical bid\n" * 40)
    files[1].write_bytes(PLAIN[:700])
    files[2].write_bytes(b"")
    items = []
    for name, signer, recipient, cipher in (("bid-rsa-gcm.der", "rsa-sign", "rsa-enc", None),
                                            ("bid-ec-cbc.der", "ec-sign", "ec-enc", "aes-256-cbc"),
                                            ("bid-sm2.der", "sm2-sign", "sm2-enc", None)):
        key, cert = parties[signer]
        sm2 = signer.startswith("sm2")
        seal_bid(files, out / name, tender_id=TENDER, bidder_code=CODE, price="1234567.80", currency="CNY",
                 created_at=AT, key=key, certificate=cert, chain=[] if sm2 else [parties["inter"]],
                 recipients=[parties[recipient][1]], cipher=cipher, bidder_name="模糊测试供应商有限公司")
        items.append({"file": f"bid/{name}", "key": recipient, "root": "sm2-root" if sm2 else "root",
                      "signer": signer, "openssl": not sm2})
    return items


def make_tsa_requests(out: Path) -> list[dict]:
    out.mkdir(parents=True)
    items = []
    document = out.parent / "document.txt"
    for name, options in (("openssl-sha256.tsq", ["-sha256"]), ("openssl-sha512-cert.tsq", ["-sha512", "-cert"]),
                          ("openssl-sha384-no-nonce.tsq", ["-sha384", "-no_nonce", "-cert"]),
                          ("openssl-sha256-policy.tsq", ["-sha256", "-tspolicy", TSA_POLICY, "-cert"])):
        _openssl("ts", "-query", "-data", document, *options, "-out", out / name)
        items.append({"file": f"tsa/{name}", "openssl": True})
    (out / "ours-sm3.tsq").write_bytes(build_request(bytes(range(32)), "sm3", nonce=0x0102030405060708))
    items.append({"file": "tsa/ours-sm3.tsq", "openssl": False})       # openssl ts knows no SM3 imprint name
    extension = tsp.TimeStampReq({"version": "v1", "message_imprint": {"hash_algorithm": {"algorithm": "sha256"},
                                                                       "hashed_message": bytes(32)},
                                  "nonce": 7, "cert_req": True,
                                  "extensions": [{"extn_id": "1.2.3.4", "extn_value": b"\x05\x00"}]}).dump()
    (out / "with-extension.tsq").write_bytes(extension)
    items.append({"file": "tsa/with-extension.tsq", "openssl": True})
    return items


def load_parties(pki_dir: Path) -> dict:
    from pki.certs import load_certificate
    from pki.keys import load_private_key
    parties = {}
    for label in ("rsa-sign", "ec-sign", "rsa-enc", "ec-enc", "tsa", "sm2-sign", "sm2-enc"):
        parties[label] = (FileKey(load_private_key((pki_dir / f"{label}.key").read_bytes())),
                          load_certificate((pki_dir / f"{label}.pem").read_bytes()))
    for label in ("root", "inter", "sm2-root"):
        parties[label] = load_certificate((pki_dir / f"{label}.pem").read_bytes())
    return parties


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "corpus"
        make_pki(work / "pki")
        parties = load_parties(work / "pki")
        tsa_key, tsa_cert = parties["tsa"]
        tsa = TimeStampAuthority(tsa_key, tsa_cert, [parties["inter"]], TSA_POLICY, FrozenClock(AT),
                                 serials=MemorySerialCounter(1000))
        index = {"at": AT.isoformat(), "tender": TENDER, "code": CODE, "tsa_policy": TSA_POLICY,
                 "envelope": make_envelopes(work / "envelope", work / "pki", parties),
                 "signature": make_signatures(work / "signature", work / "pki", parties, tsa),
                 "bid": make_bids(work / "bid", parties),
                 "tsa": make_tsa_requests(work / "tsa")}
        shutil.rmtree(work / "bid-files")
        (work / "index.json").write_text(json.dumps(index, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        if CORPUS.exists():
            shutil.rmtree(CORPUS)
        shutil.copytree(work, CORPUS)
    print(f"corpus written to {CORPUS}")


if __name__ == "__main__":
    main()
