"""GB 32100 credit codes, GB 11643 ID-card numbers and the party identity value."""
from __future__ import annotations

import pytest

from pki.identity import (IdentityMissing, InvalidCreditCode, InvalidIdNumber, PartyIdentity,
                          UnknownCertificateType, credit_code_check_char, id_number_check_char,
                          validate_credit_code, validate_id_number)

GOOD_CODE = "91110108551385082Q"


def test_known_credit_code_is_valid_and_normalised():
    assert validate_credit_code(GOOD_CODE) == GOOD_CODE
    assert validate_credit_code(" 91110108551385082q ") == GOOD_CODE
    assert credit_code_check_char(GOOD_CODE[:17]) == "Q"


@pytest.mark.parametrize("wrong", "0123456789ABCDEFGHJKLMNPRTUWXY")   # every character but Q
def test_every_other_check_character_is_refused(wrong):
    with pytest.raises(InvalidCreditCode, match="校验位") as info:
        validate_credit_code(GOOD_CODE[:17] + wrong)
    assert info.value.code == "credit_code_invalid"
    assert "expected Q" in str(info.value)


@pytest.mark.parametrize("letter", "IOZSV")
def test_letters_outside_the_alphabet_are_refused(letter):
    code = GOOD_CODE[:9] + letter + GOOD_CODE[10:]
    with pytest.raises(InvalidCreditCode, match="非法字符") as info:
        validate_credit_code(code)
    assert letter in str(info.value)


def test_check_value_31_maps_to_zero():
    # search a prefix whose weighted sum is ≡ 0 (mod 31): check value 31 → '0'
    for n in range(10000):
        first17 = f"9111010855138{n:04d}"
        if credit_code_check_char(first17) == "0":
            assert validate_credit_code(first17 + "0")
            return
    pytest.fail("no prefix with check value 31 found")


@pytest.mark.parametrize("code, why", [
    ("91110108551385082", "18 位"),
    ("91110108551385082QQ", "18 位"),
    ("911A0108551385082Q", "3–8"),
    ("91-10108551385082Q", "非法字符"),
])
def test_malformed_codes_say_why(code, why):
    with pytest.raises(InvalidCreditCode, match=why):
        validate_credit_code(code)


def test_id_number_check_digit_iso7064_mod11_2():
    assert validate_id_number("11010519491231002x") == "11010519491231002X"
    assert validate_id_number("440524188001010014") == "440524188001010014"
    assert id_number_check_char("11010519491231002") == "X"
    with pytest.raises(InvalidIdNumber, match="校验码") as info:
        validate_id_number("110105194912310021")
    assert info.value.code == "id_number_invalid"
    with pytest.raises(InvalidIdNumber, match="出生日期"):
        validate_id_number("110105194902300021")
    with pytest.raises(InvalidIdNumber, match="17 位数字"):
        validate_id_number("1101051949123100")


def test_party_identity_validates_its_numbers():
    person = PartyIdentity("natural_person", "张三", id_number="11010519491231002x")
    assert person.number == "11010519491231002X" and person.party_name == "张三"
    rep = PartyIdentity("legal_representative", "李四", credit_code=GOOD_CODE, organization="示例供应商有限公司")
    assert rep.number == GOOD_CODE and rep.party_name == "示例供应商有限公司"
    with pytest.raises(IdentityMissing, match="统一社会信用代码"):
        PartyIdentity("institution", "示例供应商有限公司")
    with pytest.raises(IdentityMissing, match="身份证"):
        PartyIdentity("natural_person", "张三", credit_code=GOOD_CODE)
    with pytest.raises(IdentityMissing, match="机构名称"):
        PartyIdentity("legal_representative", "李四", credit_code=GOOD_CODE)
    with pytest.raises(InvalidCreditCode):
        PartyIdentity("institution", "示例供应商有限公司", credit_code=GOOD_CODE[:17] + "A")
    with pytest.raises(UnknownCertificateType):
        PartyIdentity("branch", "x", credit_code=GOOD_CODE)  # type: ignore[arg-type]
