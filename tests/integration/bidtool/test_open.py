"""``bidtool open`` against a live platform: in the decryption window (the frozen clock moved to the
opening time) the bidder's key file releases the bid's content key, sealed to the tender's opening
certificate, with the key-release statement signed by its bound signing certificate; the platform
opens the bid and bidtool prints the price it read. Before the window, with a certificate the bid is
not addressed to, and a second time: one line, the contract's exit code."""
from __future__ import annotations

from datetime import timedelta

import pytest
from platform_world import bid_ca, online, sealed_bid, world  # noqa: F401 (fixtures)
from support.bids import CLOCK_T, OPENING, party_identity
from test_online import login, one_line


@pytest.fixture(autouse=True)
def crls_at_the_opening(bid_ca):
    """The CA's CRLs as current at the opening (the key-release signature's chain is checked then);
    put back as the other tests of the session expect them afterwards."""
    bid_ca.publish_crls(at=OPENING - timedelta(hours=1))
    yield
    bid_ca.publish_crls(at=CLOCK_T - timedelta(hours=1))


def _open(online, world, *extra, cert=None, key=None):
    return online("open", world.public_id, "--key", key or world.ca.path(world.encryption.record.key_file),
                  "--pass-env", "KEY_PASS", "--cert", cert or world.files["encryption-cert"],
                  "--sign-key", world.ca.path(world.signing.record.key_file), "--sign-cert",
                  world.files["signing-cert"], *extra)


def _submitted(online, world, tmp_path, price: str = "987654.32") -> str:
    login(online, world)
    r = online("submit", world.public_id, sealed_bid(tmp_path, world, price=price))
    assert r.code == 0, r.err
    return r.out.split("bid ", 1)[1].split()[0]


def test_open_in_the_window_decrypts_the_bid_and_prints_its_price(online, world, tmp_path):
    bid_id = _submitted(online, world, tmp_path)
    world.clock.set(OPENING)
    r = _open(online, world)
    assert r.code == 0, r.err
    assert "decrypted" in r.out and bid_id in r.out and "987654.32" in r.out
    one_line(_open(online, world), 1, "no_bid_to_open")     # opened: nothing left to release


def test_open_before_the_opening_time_is_refused(online, world, tmp_path):
    _submitted(online, world, tmp_path)
    one_line(_open(online, world), 1, "opening_not_started")


def test_open_with_a_certificate_the_bid_is_not_addressed_to(online, world, tmp_path):
    from support.bids import issue
    _submitted(online, world, tmp_path)
    world.clock.set(OPENING)
    other = issue(world.ca, party_identity("supplier"), algorithm="rsa")
    cert = tmp_path / "other-enc.pem"
    cert.write_bytes(world.ca.path(other.record.cert_file).read_bytes())
    one_line(_open(online, world, cert=cert, key=world.ca.path(other.record.key_file)), 1,
             "not addressed to the certificate given with --cert")


def test_open_without_a_signing_key_is_a_usage_mistake(online, world, tmp_path):
    _submitted(online, world, tmp_path)
    world.clock.set(OPENING)
    r = online("open", world.public_id, "--key", world.ca.path(world.encryption.record.key_file), "--pass-env",
               "KEY_PASS", "--cert", world.files["encryption-cert"], "--sign-cert", world.files["signing-cert"])
    one_line(r, 1, "give the signing key with --sign-key")
