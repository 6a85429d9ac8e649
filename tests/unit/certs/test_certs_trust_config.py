"""The committed trust profiles (config/trust/*.toml)."""
from __future__ import annotations

from pathlib import Path

import pytest

from pki.trust import TrustError, UnknownProfile, load_trust_list

CONFIG = Path(__file__).resolve().parents[3] / "config" / "trust"


def test_five_profiles_with_distinct_policies_and_identity_places():
    trust = load_trust_list(CONFIG)
    assert [p.id for p in trust.profiles] == ["bjca", "cfca", "gdca", "hbca", "netca"]
    assert len({p.policy_oid for p in trust.profiles}) == 5
    places = {(p.identity.location, p.identity.type_location) for p in trust.profiles}
    assert {loc for loc, _ in places} == {"serial_number", "ou", "extension"}
    assert len(places) == 5
    assert {alg for p in trust.profiles for alg in p.chains} == {"rsa", "ec", "sm2"}
    for p in trust.profiles:
        assert p.renewal.window_days == 90 and p.renewal.service_years == (1, 2)
        assert p.renewal.expired_limit_days == 365
        assert p.crl_url_for("sm2").endswith(f"/{p.id}-sm2.crl")
        assert any("\u4e00" <= ch <= "\u9fff" for ch in p.name)       # a Chinese display name
    assert trust.profile("netca").name.startswith("网证通")
    with pytest.raises(UnknownProfile):
        trust.profile("nope")


def test_a_broken_profile_is_reported_by_file_name(tmp_path):
    (tmp_path / "bad.toml").write_text('id = "x"\nname = "x"\n', encoding="utf-8")
    with pytest.raises(TrustError, match="bad.toml"):
        load_trust_list(tmp_path)
    with pytest.raises(TrustError, match="没有"):
        load_trust_list(tmp_path / "empty")


def test_only_the_profiles_that_say_so_ask_for_the_platform_policy_at_log_in():
    """R4: "others may still log in where the profile allows"; HBCA's profile does not allow it."""
    trust = load_trust_list(CONFIG)
    assert {p.id: p.login_requires_policy for p in trust.profiles} == {
        "bjca": False, "cfca": False, "gdca": False, "hbca": True, "netca": False}


def test_a_login_policy_setting_that_is_not_a_boolean_is_refused(tmp_path):
    text = (CONFIG / "hbca.toml").read_text(encoding="utf-8").replace(
        "login_requires_policy = true", 'login_requires_policy = "yes"')
    (tmp_path / "hbca.toml").write_text(text, encoding="utf-8")
    with pytest.raises(TrustError, match="hbca.toml"):
        load_trust_list(tmp_path)
