"""bidtool unpack under hostile packages (issue "Hostile input", findings 3, 4 and 9-SM2).

Each package here is built by hand (:func:`_seal`): a tar archive written member by member, so that
it can hold what the packer never writes (two manifest.json, two manifest.sig, a file twice, a huge
price), sealed in a real envelope to the supplier's encryption certificate. Every refusal must name
its reason, exit as README documents (1 input, 2 tampering) and leave no output folder and no
temporary folder beside it: nothing is half-published."""
from __future__ import annotations

import io
import os
import tarfile
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from bidding.bids.manifest import MAX_FILES, FileDigests, FileEntry, Manifest, canonical_json, digest_file
from pki import envelope, signature
from pki.certs import load_certificate, load_certificates
from pki.keyops import FileKey
from pki.keys import load_pkcs12, load_private_key

from support.bidtool_env import CODE, PASSWORD

AT = datetime.now(timezone.utc)
PLAN = b"%PDF-1.7 technical offer " * 100


def _key_args(party, alg, purpose):
    return ["--key", party.keys[alg, purpose], "--pass-env", "BID_PASS", "--cert", party.certs[alg, purpose]]


def _sign(party, alg: str, data: bytes) -> bytes:
    """A detached signature over ``data`` by the party's signing key, with its intermediate."""
    raw = party.keys[alg, "signing"].read_bytes()
    if alg == "sm2":
        private = load_private_key(raw, PASSWORD.encode())
    else:
        private, _, _ = load_pkcs12(raw, PASSWORD.encode())
    certificate = load_certificate(party.certs[alg, "signing"].read_bytes())
    return signature.sign(data, key=FileKey(private), certificate=certificate,
                          chain=load_certificates(party.inters[alg].read_bytes()), detached=True, signing_time=AT)


def _manifest(files: dict[str, bytes], tmp_path: Path, *, price: str = "880000.00", twice: str | None = None) -> bytes:
    entries = []
    for name, data in files.items():
        (tmp_path / "src").mkdir(exist_ok=True)
        (tmp_path / "src" / name).write_bytes(data)
        entries.append(FileEntry(name, *digest_file(tmp_path / "src" / name)))
    if twice:
        entries += [e for e in entries if e.name == twice]
    return Manifest("T-1", CODE, Decimal(price), "CNY", AT, tuple(entries)).canonical()


def _digests(data: bytes) -> tuple[int, str, str]:
    digests = FileDigests()
    digests.update(data)
    return digests.result()


def _raw_manifest(amount: str) -> bytes:
    """A manifest with a price canonical() could never print (it would expand the exponent)."""
    doc = {"format": "ebid-package/1", "tender": "T-1", "bidder": {"credit_code": CODE, "name": ""},
           "price": {"amount": amount, "currency": "CNY"}, "created_at": AT.isoformat(timespec="microseconds"),
           "files": [FileEntry("plan.pdf", *_digests(PLAN)).as_dict()]}
    return canonical_json(doc)


def _seal(party, members: list[tuple[str, bytes]], out: Path, alg: str = "ec") -> Path:
    """``members`` in this order into a tar archive, sealed to the party's encryption certificate."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, int(AT.timestamp())
            tar.addfile(info, io.BytesIO(data))
    recipient = load_certificate(party.certs[alg, "encryption"].read_bytes())
    with open(out, "wb") as dst:
        envelope.encrypt_stream(io.BytesIO(buf.getvalue()), dst, recipients=[recipient], size=len(buf.getvalue()))
    return out


def _unpack(bidtool, party, package="bid.env", outdir="opened", *extra, alg="ec"):
    return bidtool("unpack", *_key_args(party, alg, "encryption"), "--ca", party.roots[alg], *extra, package, outdir)


def _refused(result, code: int, reason: str, tmp_path: Path, outdir: str = "opened") -> None:
    assert result.code == code, result.err
    assert len(result.err.splitlines()) == 1 and reason in result.err, result.err
    assert not (tmp_path / outdir).exists() and not (tmp_path / outdir).is_symlink()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []    # no staging left


# -- finding 3: ambiguous packages ------------------------------------------------------------------
def test_a_well_formed_hand_made_package_opens(bidtool, supplier, tmp_path):
    manifest = _manifest({"plan.pdf": PLAN}, tmp_path)
    _seal(supplier, [("manifest.json", manifest), ("manifest.sig", _sign(supplier, "ec", manifest)),
                     ("files/plan.pdf", PLAN)], tmp_path / "bid.env")
    r = _unpack(bidtool, supplier)
    assert r.code == 0 and r.err == "", r.err
    assert (tmp_path / "opened" / "files" / "plan.pdf").read_bytes() == PLAN
    assert sorted(os.listdir(tmp_path / "opened")) == ["files", "manifest.json", "manifest.sig"]


@pytest.mark.parametrize("layout", ["forged-first", "forged-last"])
def test_two_manifests_are_refused(bidtool, supplier, tmp_path, layout):
    genuine = _manifest({"plan.pdf": PLAN}, tmp_path)
    forged = _manifest({"plan.pdf": PLAN}, tmp_path, price="1.00")
    sig = _sign(supplier, "ec", genuine)
    members = ([("manifest.json", forged), ("manifest.json", genuine), ("manifest.sig", sig), ("files/plan.pdf", PLAN)]
               if layout == "forged-first" else
               [("manifest.json", genuine), ("manifest.sig", sig), ("files/plan.pdf", PLAN), ("manifest.json", forged)])
    _seal(supplier, members, tmp_path / "bid.env")
    _refused(_unpack(bidtool, supplier), 2, "'manifest.json' twice", tmp_path)


def test_two_signatures_are_refused(bidtool, supplier, tmp_path):
    manifest = _manifest({"plan.pdf": PLAN}, tmp_path)
    sig = _sign(supplier, "ec", manifest)
    _seal(supplier, [("manifest.json", manifest), ("manifest.sig", sig), ("manifest.sig", sig),
                     ("files/plan.pdf", PLAN)], tmp_path / "bid.env")
    _refused(_unpack(bidtool, supplier), 2, "'manifest.sig' twice", tmp_path)


@pytest.mark.parametrize("second", ["files/plan.pdf", "files/PLAN.pdf"])
def test_a_file_twice_in_the_archive_is_refused(bidtool, supplier, tmp_path, second):
    manifest = _manifest({"plan.pdf": PLAN}, tmp_path)
    _seal(supplier, [("manifest.json", manifest), ("manifest.sig", _sign(supplier, "ec", manifest)),
                     ("files/plan.pdf", PLAN), (second, b"the other plan")], tmp_path / "bid.env")
    _refused(_unpack(bidtool, supplier), 2, "twice", tmp_path)


def test_a_manifest_listing_a_file_twice_is_refused(bidtool, supplier, tmp_path):
    manifest = _manifest({"plan.pdf": PLAN}, tmp_path, twice="plan.pdf")
    _seal(supplier, [("manifest.json", manifest), ("manifest.sig", _sign(supplier, "ec", manifest)),
                     ("files/plan.pdf", PLAN)], tmp_path / "bid.env")
    _refused(_unpack(bidtool, supplier), 1, "lists 'plan.pdf' twice", tmp_path)


def test_a_digest_mismatch_publishes_nothing(bidtool, supplier, tmp_path):
    manifest = _manifest({"plan.pdf": PLAN, "quote.txt": b"880000.00"}, tmp_path)
    _seal(supplier, [("manifest.json", manifest), ("manifest.sig", _sign(supplier, "ec", manifest)),
                     ("files/plan.pdf", PLAN), ("files/quote.txt", b"1.00")], tmp_path / "bid.env")
    _refused(_unpack(bidtool, supplier), 2, "size mismatch for quote.txt", tmp_path)


# -- the output folder: links, --force --------------------------------------------------------------
@pytest.fixture
def good_package(supplier, tmp_path) -> Path:
    manifest = _manifest({"plan.pdf": PLAN}, tmp_path)
    return _seal(supplier, [("manifest.json", manifest), ("manifest.sig", _sign(supplier, "ec", manifest)),
                            ("files/plan.pdf", PLAN)], tmp_path / "bid.env")


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_an_output_folder_that_is_a_link_is_refused(bidtool, supplier, tmp_path, good_package, force):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "opened").symlink_to(elsewhere)
    r = _unpack(bidtool, supplier, "bid.env", "opened", *force)
    assert r.code == 1 and "symbolic link" in r.err and len(r.err.splitlines()) == 1, r.err
    assert os.listdir(elsewhere) == [] and (tmp_path / "opened").is_symlink()


def test_a_link_planted_in_the_output_folder_is_never_written_through(bidtool, supplier, tmp_path, good_package):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "opened").mkdir()
    (tmp_path / "opened" / "files").symlink_to(elsewhere)
    (tmp_path / "opened" / "manifest.sig").symlink_to(elsewhere / "sig")
    r = _unpack(bidtool, supplier)
    assert r.code == 1 and "--force" in r.err, r.err
    assert os.listdir(elsewhere) == []
    r = _unpack(bidtool, supplier, "bid.env", "opened", "--force")
    assert r.code == 0, r.err
    assert os.listdir(elsewhere) == []
    assert not (tmp_path / "opened" / "files").is_symlink() and not (tmp_path / "opened" / "manifest.sig").is_symlink()
    assert (tmp_path / "opened" / "files" / "plan.pdf").read_bytes() == PLAN


def test_force_with_a_bad_package_keeps_the_earlier_unpack(bidtool, supplier, tmp_path, good_package):
    assert _unpack(bidtool, supplier).code == 0
    (tmp_path / "opened" / "notes.txt").write_text("mine")
    manifest = _manifest({"plan.pdf": PLAN}, tmp_path, price="1.00")
    _seal(supplier, [("manifest.json", manifest), ("manifest.sig", b"not a signature"),
                     ("files/plan.pdf", PLAN)], tmp_path / "forged.env")
    r = _unpack(bidtool, supplier, "forged.env", "opened", "--force")
    assert r.code == 2 and "signature" in r.err, r.err
    assert sorted(os.listdir(tmp_path / "opened")) == ["files", "manifest.json", "manifest.sig", "notes.txt"]
    assert b'"amount":"880000.00"' in (tmp_path / "opened" / "manifest.json").read_bytes()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_refused_bid_leaves_no_parent_folder_of_the_output(bidtool, supplier, tmp_path):
    """Folders above the output are made only when the bid is published: a refused bid leaves
    nothing, not even the missing parents it was asked to unpack into."""
    manifest = _manifest({"plan.pdf": PLAN}, tmp_path)
    _seal(supplier, [("manifest.json", manifest), ("manifest.sig", b"not a signature"),
                     ("files/plan.pdf", PLAN)], tmp_path / "bid.env")
    before = sorted(os.listdir(tmp_path))
    r = _unpack(bidtool, supplier, "bid.env", "new/deeper/opened")
    assert r.code == 2 and "signature" in r.err, r.err
    assert sorted(os.listdir(tmp_path)) == before      # no new/, no staging folder


def test_missing_parents_of_the_output_are_made_when_the_bid_opens(bidtool, supplier, tmp_path, good_package):
    r = _unpack(bidtool, supplier, "bid.env", "new/deeper/opened")
    assert r.code == 0, r.err
    assert (tmp_path / "new" / "deeper" / "opened" / "files" / "plan.pdf").read_bytes() == PLAN
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert os.listdir(tmp_path / "new") == ["deeper"] and os.listdir(tmp_path / "new" / "deeper") == ["opened"]


def test_an_output_below_a_file_is_refused_before_any_work(bidtool, supplier, tmp_path, good_package):
    (tmp_path / "plain").write_text("a file, not a folder")
    r = _unpack(bidtool, supplier, "bid.env", "plain/opened")
    assert r.code == 1 and "not a folder" in r.err and len(r.err.splitlines()) == 1, r.err
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


# -- finding 4: no work before authentication ---------------------------------------------------------
@pytest.mark.parametrize("signed", [True, False])
def test_a_huge_price_is_refused_without_being_expanded(supplier, pki_dir, tmp_path, signed):
    import subprocess

    from support.bidtool_env import BIDTOOL
    manifest = _raw_manifest("1E+999999999")
    sig = _sign(supplier, "ec", manifest) if signed else _sign(supplier, "ec", manifest + b" ")
    _seal(supplier, [("manifest.json", manifest), ("manifest.sig", sig), ("files/plan.pdf", PLAN)],
          tmp_path / "bid.env")
    env = dict(os.environ, BID_PASS=PASSWORD, EBID_TRUST_ANCHORS=str(pki_dir / "anchors"))
    env.pop("BIDTOOL_DEBUG", None)
    proc = subprocess.run(["/usr/bin/time", "-f", "peak %M", str(BIDTOOL), "unpack",
                           *map(str, _key_args(supplier, "ec", "encryption")), "--ca", str(supplier.roots["ec"]),
                           "bid.env", "opened"], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    *lines, peak = [line for line in proc.stderr.splitlines() if not line.startswith("Command exited")]
    peak_kib = int(peak.split()[-1])
    if signed:      # authentic, but not a price: refused from its text
        assert proc.returncode == 1 and "price must be a plain decimal" in lines[0], proc.stderr
    else:           # the signature is checked first: the number is never looked at
        assert proc.returncode == 2 and "signature is not valid" in lines[0], proc.stderr
    assert len(lines) == 1                              # bidtool's one line
    assert peak_kib < 300_000, peak_kib                  # expanding 1E+999999999 would take > 1 GB
    assert not (tmp_path / "opened").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_badly_signed_manifest_is_refused_as_such_before_its_content_is_judged(bidtool, supplier, tmp_path):
    manifest = _manifest({"plan.pdf": PLAN}, tmp_path, twice="plan.pdf")
    _seal(supplier, [("manifest.json", manifest), ("manifest.sig", _sign(supplier, "ec", manifest + b"!")),
                     ("files/plan.pdf", PLAN)], tmp_path / "bid.env")
    _refused(_unpack(bidtool, supplier), 2, "signature is not valid", tmp_path)


def test_a_manifest_signed_by_another_party_is_refused(bidtool, supplier, other, tmp_path):
    manifest = _manifest({"plan.pdf": PLAN}, tmp_path)
    _seal(supplier, [("manifest.json", manifest), ("manifest.sig", _sign(other, "ec", manifest)),
                     ("files/plan.pdf", PLAN)], tmp_path / "bid.env")
    _refused(_unpack(bidtool, supplier), 2, "is not the bidder", tmp_path)


def _two_signers(first: bytes, second: bytes) -> bytes:
    """One SignedData holding the SignerInfos and certificates of two detached signatures."""
    from asn1crypto import cms
    a, b = cms.ContentInfo.load(first), cms.ContentInfo.load(second)
    sd, other = a["content"], b["content"]
    sd["signer_infos"] = cms.SignerInfos(list(sd["signer_infos"]) + list(other["signer_infos"]))
    sd["certificates"] = cms.CertificateSet(list(sd["certificates"]) + list(other["certificates"]))
    return a.dump()  # not force=True: that re-encodes the signed attributes the signers signed


def test_a_manifest_with_a_second_valid_signer_is_refused(bidtool, supplier, other, tmp_path):
    """Both signatures are good, the bidder's first: still refused, one bid has one signer."""
    manifest = _manifest({"plan.pdf": PLAN}, tmp_path)
    both = _two_signers(_sign(supplier, "ec", manifest), _sign(other, "ec", manifest))
    assert signature.verify(both, content=manifest, trust_roots=[load_certificate(supplier.roots["ec"].read_bytes())],
                            intermediates=load_certificates(supplier.inters["ec"].read_bytes()),
                            at=datetime.now(timezone.utc)).ok    # AT is fixed at import, before the CA exists
    _seal(supplier, [("manifest.json", manifest), ("manifest.sig", both), ("files/plan.pdf", PLAN)],
          tmp_path / "bid.env")
    _refused(_unpack(bidtool, supplier), 2, "exactly one signature", tmp_path)


# -- one set of limits for pack and unpack --------------------------------------------------------------
def _many(tmp_path: Path, count: int) -> list[str]:
    folder = tmp_path / "many"
    folder.mkdir()
    names = []
    for i in range(count):
        (folder / f"{i:05d}").write_bytes(b"%d" % i)
        names.append(f"many/{i:05d}")
    return names


def test_pack_refuses_more_than_max_files_naming_the_limit(bidtool, supplier, tmp_path):
    r = bidtool("pack", *_key_args(supplier, "ec", "signing"), "--enc-cert", supplier.certs["ec", "encryption"],
                "--tender", "T-1", "--price", "1", "-o", "bid.env", *_many(tmp_path, MAX_FILES + 1))
    assert r.code == 1 and f"MAX_FILES = {MAX_FILES}" in r.err and len(r.err.splitlines()) == 1, r.err
    assert not (tmp_path / "bid.env").exists()


def test_a_package_of_exactly_max_files_round_trips(bidtool, supplier, tmp_path):
    r = bidtool("pack", *_key_args(supplier, "ec", "signing"), "--enc-cert", supplier.certs["ec", "encryption"],
                "--chain", supplier.inters["ec"], "--tender", "T-1", "--price", "1", "-o", "bid.env",
                *_many(tmp_path, MAX_FILES))
    assert r.code == 0, r.err
    r = _unpack(bidtool, supplier)
    assert r.code == 0, r.err
    assert len(os.listdir(tmp_path / "opened" / "files")) == MAX_FILES
    assert (tmp_path / "opened" / "files" / f"{MAX_FILES - 1:05d}").read_bytes() == b"%d" % (MAX_FILES - 1)


@pytest.mark.parametrize("price", ["1E+3", "1.234", "1234567890123456"])
def test_pack_refuses_a_price_unpack_would_refuse(bidtool, supplier, tmp_path, price):
    (tmp_path / "plan.pdf").write_bytes(PLAN)
    r = bidtool("pack", *_key_args(supplier, "ec", "signing"), "--enc-cert", supplier.certs["ec", "encryption"],
                "--tender", "T-1", "--price", price, "-o", "bid.env", "plan.pdf")
    assert r.code == 1 and "plain decimal" in r.err, r.err


# -- finding 9 (SM2): nothing but bidtool's one line on stderr ---------------------------------------------
@pytest.mark.parametrize("flavour", [[], ["--gmssl-compat"]])
def test_sm2_verification_prints_nothing_of_gmssl(bidtool, supplier, tmp_path, flavour):
    """GmSSL's C code prints a trace on stderr when an SM2 verification fails (with --gmssl-compat
    the altered content reaches the C verification itself): the user sees bidtool's one line only."""
    (tmp_path / "letter.pdf").write_bytes(b"commitment letter")
    r = bidtool("sign", *_key_args(supplier, "sm2", "signing"), "--chain", supplier.inters["sm2"], "--detached",
                *flavour, "letter.pdf", "letter.p7s")
    assert r.code == 0 and r.err == "", r.err
    r = bidtool("verify", "--ca", supplier.roots["sm2"], "--content", "letter.pdf", "letter.p7s")
    assert r.code == 0 and r.err == "", r.err
    (tmp_path / "letter.pdf").write_bytes(b"commitment letter, altered")
    r = bidtool("verify", "--ca", supplier.roots["sm2"], "--content", "letter.pdf", "letter.p7s")
    assert r.code == 2 and len(r.err.splitlines()) == 1 and r.err.startswith("bidtool: "), r.err


def test_sm2_package_round_trip_prints_nothing_of_gmssl(bidtool, supplier, tmp_path):
    (tmp_path / "plan.pdf").write_bytes(PLAN)
    r = bidtool("pack", *_key_args(supplier, "sm2", "signing"), "--enc-cert", supplier.certs["sm2", "encryption"],
                "--chain", supplier.inters["sm2"], "--tender", "T-1", "--price", "1", "-o", "bid.env", "plan.pdf")
    assert r.code == 0 and r.err == "", r.err
    r = _unpack(bidtool, supplier, alg="sm2")
    assert r.code == 0 and r.err == "", r.err
