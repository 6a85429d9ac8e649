"""Seal image (red, round, transparent) and the binding rules R2, R3, R6."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from pki.identity import PartyIdentity
from pki.seal import (CertificateAlreadyHasSeal, SealOwnerMismatch, SubKeyCarriesNoSeal, UnknownSealKind,
                      check_seal_binding, draw_seal, make_seal)

HEAD = PartyIdentity("institution", "示例供应商有限公司", credit_code="91110108551385082Q")


def _branch():
    from pki.identity import credit_code_check_char
    first = "91440101MA5CY1234"
    return PartyIdentity("institution", "示例供应商有限公司广州分公司", credit_code=first + credit_code_check_char(first))


def test_seal_png_is_transparent_round_and_red():
    png = draw_seal("示例供应商有限公司", "合同专用章", size=200)
    img = Image.open(io.BytesIO(png))
    assert img.format == "PNG" and img.mode == "RGBA" and img.size == (200, 200)
    px = img.load()
    assert px[0, 0][3] == 0 and px[199, 199][3] == 0          # corners outside the ring: transparent
    assert px[100, 100][3] == 255                              # the star's centre
    opaque = [p for p in img.get_flattened_data() if p[3] > 200]
    red = [p for p in opaque if p[0] > 150 and p[1] < 90 and p[2] < 90]
    assert len(red) / len(opaque) > 0.9
    assert 0.05 < len(opaque) / (200 * 200) < 0.5              # a seal is mostly empty
    # the ring: the pixel left of the centre on the outer circle is opaque red
    assert px[4, 100][3] > 0


def test_kind_text_changes_the_image():
    assert draw_seal("示例供应商有限公司", "公章") != draw_seal("示例供应商有限公司", "合同专用章")


def test_r2_a_certificate_carries_at_most_one_seal():
    official = make_seal(HEAD, "公章", size=120)
    contract = make_seal(HEAD, "合同专用章", size=120)
    check_seal_binding(official, HEAD)                         # the first seal binds
    with pytest.raises(CertificateAlreadyHasSeal, match="一张证书只能绑定一枚印章") as info:
        check_seal_binding(contract, HEAD, seals_on_certificate=[official])
    assert info.value.code == "certificate_has_seal"


def test_r3_seal_owner_must_be_the_certificate_subject():
    branch = _branch()
    branch_seal = make_seal(branch, "公章", size=120)
    with pytest.raises(SealOwnerMismatch, match="不一致") as info:
        check_seal_binding(branch_seal, HEAD)                  # head office certificate, branch seal
    assert info.value.code == "seal_owner_mismatch"
    rep = PartyIdentity("legal_representative", "李四", credit_code=HEAD.credit_code, organization=HEAD.name)
    check_seal_binding(make_seal(rep, "公章", size=120), HEAD)   # the organisation's own seal


def test_r6_sub_key_carries_no_seal():
    with pytest.raises(SubKeyCarriesNoSeal, match="副锁"):
        check_seal_binding(make_seal(HEAD, size=120), HEAD, main_key=False)


def test_unknown_seal_kind():
    with pytest.raises(UnknownSealKind):
        make_seal(HEAD, "财务章")
