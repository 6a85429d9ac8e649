"""bidtool against a live platform: certificate log-in (key file, SoftHSM token), the tender list,
a resumable submission that survives a broken connection (within one run, and by running the same
command again), receipts that ``openssl cms -verify`` accepts, withdrawal, and the platform's
refusals as one line with the contract's exit code."""
from __future__ import annotations

import hashlib
import json
import stat

import pytest
from platform_world import DroppingProxy, World, bid_ca, online, sealed_bid, world  # noqa: F401 (fixtures)
from support.bids import CA_T0, DEADLINE, PROFILE, party_identity
from support.bidtool_env import openssl

TOKEN_PIN = "token-pin-1357"


def login(online, world: World, base: str | None = None):
    r = online("login", "--platform", base or world.base, *world.key_args())
    assert r.code == 0, r.err
    return r


def one_line(r, code: int, fragment: str) -> None:
    lines = r.err.splitlines()
    assert r.code == code, (r.code, r.err)
    assert len(lines) == 1 and lines[0].startswith("bidtool: "), r.err
    assert fragment in lines[0], lines[0]


def verify_with_openssl(receipt, root, tmp_path) -> dict:
    out = tmp_path / "receipt.json"
    proc = openssl("cms", "-verify", "-inform", "DER", "-in", receipt, "-CAfile", root, "-purpose", "any", "-out", out)
    assert proc.returncode == 0, proc.stderr
    return json.loads(out.read_bytes())


# -- login, tenders, logout ----------------------------------------------------------------------------------
def test_login_with_a_key_file_lists_tenders_and_logs_out(online, world, tmp_path):
    r = login(online, world)
    assert "logged in" in r.out and "supplier" in r.out
    session = tmp_path / "session.json"
    assert stat.S_IMODE(session.stat().st_mode) == 0o600
    assert "csrf_token" in session.read_text()

    r = online("tenders", "--mine")
    assert r.code == 0, r.err
    assert world.public_id in r.out
    assert "2026-11-30 16:00" in r.out          # the deadline, CLOCK_T + 7 days, in Beijing time
    assert "2026-11-30 17:00" in r.out          # the opening an hour later
    mine = json.loads(online("tenders", "--mine", "--json").out)
    assert [t["public_id"] for t in mine] == [world.public_id] and mine[0]["phase"]

    r = online("logout")
    assert r.code == 0 and not session.exists()
    one_line(online("tenders", "--mine"), 1, "run bidtool login")


def test_the_public_list_needs_no_log_in(online, world):
    r = online("tenders", "--platform", world.base)
    assert r.code == 0, r.err
    assert world.public_id in r.out and "Beijing" in r.out


def test_an_unbound_certificate_is_refused_in_one_line(online, world, tmp_path):
    from support.bids import issue
    stranger = issue(world.ca, party_identity("supplier2"), algorithm="rsa", purpose="signing", seal_kind=None)
    cert = tmp_path / "stranger.pem"
    cert.write_bytes(world.ca.path(stranger.record.cert_file).read_bytes())
    r = online("login", "--platform", world.base, "--key", world.ca.path(stranger.record.key_file),
               "--pass-env", "KEY_PASS", "--cert", cert)
    one_line(r, 1, "certificate_not_bound")
    assert not (tmp_path / "session.json").exists()


def test_an_unreachable_platform_is_exit_3(online, world):
    one_line(online("login", "--platform", "http://127.0.0.1:9", *world.key_args()), 3,
             "could not be reached")


def test_login_with_a_softhsm_token(online, world, tmp_path, isolated_tokens):
    from devsetup.softhsm import init_softhsm_token
    from platform_world import bind_signing
    from pki import pkcs11 as tokens
    from pki.certs import load_certificate
    from pki.devca.tokens import issue_to_token
    hsm = init_softhsm_token(tmp_path / "hsm", "supplier-token", "so-pin-1", TOKEN_PIN)
    session = tokens.open_token(hsm.label, pin=TOKEN_PIN)
    on_token = issue_to_token(world.ca, session, PROFILE, party_identity("supplier"), algorithm="rsa",
                              purpose="signing", label="signing-rsa", seal_kind=None, at=CA_T0)
    cert_path = tmp_path / "token-cert.pem"
    cert_path.write_bytes(world.ca.path(on_token.record.cert_file).read_bytes())
    key = session.find_key(key_id=on_token.key_id)
    bind_signing(world.app, world.parties["supplier"], load_certificate(cert_path.read_bytes()), key,
                 [world.ca.chain(PROFILE, "rsa").intermediate])
    tokens.close_sessions()

    env = {"SOFTHSM2_CONF": str(hsm.conf_path), "TOKEN_PIN": TOKEN_PIN}
    r = online("login", "--platform", world.base, "--token", "supplier-token", "--pin-env", "TOKEN_PIN",
               "--cert", cert_path, extra_env=env)
    assert r.code == 0, r.err
    assert online("tenders", "--mine").code == 0

    r = online("login", "--platform", world.base, "--token", "supplier-token", "--pin-env", "TOKEN_PIN",
               "--cert", world.files["signing-cert"], extra_env=env)
    one_line(r, 1, "holds no key paired with the certificate")


# -- submit and withdraw ---------------------------------------------------------------------------------------
def test_submit_survives_a_broken_connection_and_saves_a_verified_receipt(online, world, tmp_path):
    proxy = DroppingProxy(int(world.base.rsplit(":", 1)[1]), cut_after=50_000)
    try:
        login(online, world, proxy.base)
        bid = sealed_bid(tmp_path, world)
        proxy.drops = 1
        r = online("submit", world.public_id, bid, "--chunk-size", "131072", "--receipt", "receipt.p7m")
        assert r.code == 0, r.err
        assert proxy.cuts == 1
    finally:
        proxy.close()
    assert "submitted" in r.out and "verified" in r.out
    fields = verify_with_openssl(tmp_path / "receipt.p7m", world.files["root"], tmp_path)
    assert fields["sha256"] == hashlib.sha256(bid.read_bytes()).hexdigest()
    assert fields["tender"] == world.public_id and fields["action"] == "submitted"
    assert online("receipt-verify", "--ca", world.files["root"], "receipt.p7m").code == 0
    assert not list((tmp_path / "session-uploads").glob("*.json"))     # the upload is forgotten once done


def test_running_submit_again_resumes_the_same_upload(online, world, tmp_path):
    proxy = DroppingProxy(int(world.base.rsplit(":", 1)[1]), cut_after=50_000)
    try:
        login(online, world, proxy.base)
        bid = sealed_bid(tmp_path, world)
        proxy.drops = 1000
        r = online("submit", str(world.tender_id), bid, "--chunk-size", "65536", "--retries", "1")
        one_line(r, 3, "run the same command again to resume")
        proxy.drops = 0
        r = online("submit", str(world.tender_id), bid, "--chunk-size", "65536")
    finally:
        proxy.close()
    assert r.code == 0, r.err
    resumed = [line for line in r.out.splitlines() if "resuming upload" in line]
    assert resumed and " at byte 0 " not in resumed[0], r.out
    bid_id = r.out.split("bid ", 1)[1].split()[0]
    assert (tmp_path / f"receipt-{bid_id}.p7m").is_file()


def test_a_plaintext_file_is_refused_before_any_upload(online, world, tmp_path):
    login(online, world)
    (tmp_path / "plain.pdf").write_bytes(b"%PDF-1.4 my price is 1000000")
    one_line(online("submit", world.public_id, "plain.pdf"), 1, "not an envelope")
    assert not (tmp_path / "session-uploads").exists()


def test_a_bid_after_the_deadline_is_refused_in_one_line(online, world, tmp_path):
    login(online, world)
    bid = sealed_bid(tmp_path, world)
    world.clock.set(DEADLINE)
    one_line(online("submit", world.public_id, bid), 1, "bid_deadline_passed")


def test_withdraw_saves_a_verified_withdrawal_receipt(online, world, tmp_path):
    login(online, world)
    bid = sealed_bid(tmp_path, world)
    r = online("submit", world.public_id, bid)
    assert r.code == 0, r.err
    bid_id = r.out.split("bid ", 1)[1].split()[0]
    r = online("withdraw", bid_id, "--receipt", "withdrawal.p7m")
    assert r.code == 0, r.err
    assert "withdrawn" in r.out
    fields = verify_with_openssl(tmp_path / "withdrawal.p7m", world.files["root"], tmp_path)
    assert fields["action"] == "withdrawn" and fields["bid"] == bid_id
    one_line(online("withdraw", bid_id, "--receipt", "again.p7m"), 1, "bid_not_pending")


def test_a_receipt_not_saved_is_fetched_by_running_submit_again(online, world, tmp_path):
    """The upload became a bid but its receipt could not be written: running the command again
    fetches that bid's receipt (no second bid is made)."""
    login(online, world)
    bid = sealed_bid(tmp_path, world)
    r = online("submit", world.public_id, bid, "--receipt", "/proc/bidtool-no-such-folder/receipt.p7m")
    assert r.code == 3 and len(r.err.splitlines()) == 1, r.err
    r = online("submit", world.public_id, bid, "--receipt", "receipt.p7m")
    assert r.code == 0, r.err
    assert f"at byte {bid.stat().st_size} of {bid.stat().st_size}" in r.out
    fields = verify_with_openssl(tmp_path / "receipt.p7m", world.files["root"], tmp_path)
    assert fields["action"] == "submitted" and fields.get("replaces") in (None, "")


def test_a_bid_not_addressed_to_a_bound_certificate_is_refused_in_one_line(online, world, tmp_path):
    from support.bids import issue, sealed_package
    login(online, world)
    unbound = issue(world.ca, party_identity("supplier"), algorithm="rsa")       # never bound to the party
    data = sealed_package(tmp_path, world.signing, [unbound], tender=world.public_id,
                          bidder=party_identity("supplier").number, files={"报价.txt": b"1000000.00"})
    (tmp_path / "unbound.p7m").write_bytes(data)
    one_line(online("submit", world.public_id, "unbound.p7m"), 1, "bid_recipient_refused")
