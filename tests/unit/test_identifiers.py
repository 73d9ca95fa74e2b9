"""Agency codes, CCCD, tax codes, unit codes and the agency directory."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas.errors import IdentifierError
from schemas.ids import (
    AdminUnitCode,
    AgencyCode,
    AgencyDirectory,
    CitizenId,
    TaxCode,
    bundled_directory,
)
from schemas.ids.taxcode import check_digit


def _code(text: str) -> AgencyCode:
    return AgencyCode.parse(text)


@pytest.mark.parametrize(
    ("text", "level", "parent"),
    [
        ("000.00.00.G22", 1, None),
        ("000.00.18.G12", 2, "000.00.00.G12"),
        ("000.01.02.H24", 3, "000.00.02.H24"),
        ("123.01.02.H24", 4, "000.01.02.H24"),
    ],
)
def test_agency_codes_give_their_level_and_parent(
    text: str, level: int, parent: str | None
) -> None:
    """The level is the deepest non-zero block; the parent zeroes it."""
    code = _code(text)
    assert str(code) == text and code.level == level
    assert (str(code.parent) if code.parent else None) == parent


def test_a_commune_is_under_its_district_and_province_but_not_a_sibling() -> None:
    """is_under follows the code hierarchy, including the unit itself."""
    commune = _code("000.01.02.H24")
    assert commune.is_under(_code("000.00.02.H24"))
    assert commune.is_under(_code("000.00.00.H24"))
    assert commune.is_under(commune)
    assert not commune.is_under(_code("000.00.03.H24"))
    assert not commune.is_under(_code("000.00.00.H15"))
    assert not _code("000.00.00.H24").is_under(commune)
    assert [str(a) for a in commune.ancestors()] == ["000.00.02.H24", "000.00.00.H24"]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "G22",
        "000.00.00.g22",
        "000.00.00.G2",
        "000.00.00.G00",
        "000.05.00.H29",
        "001.00.02.H24",
        "000.00.00.H24 ",
        "000-00-00-H24",
    ],
)
def test_malformed_agency_codes_are_refused(text: str) -> None:
    """Wrong shape, case, level-1 number 00, or a level set under a zero level: LGSP-ID-AGENCY."""
    with pytest.raises(IdentifierError) as raised:
        AgencyCode.parse(text)
    assert raised.value.code == "LGSP-ID-AGENCY"
    assert not AgencyCode.is_valid(text)


@given(st.text(max_size=20))
def test_agency_code_parsing_never_fails_unexpectedly(text: str) -> None:
    """Fuzz: any text parses or raises IdentifierError; a parsed code prints back the same."""
    if AgencyCode.is_valid(text):
        assert str(AgencyCode.parse(text)) == text
    else:
        with pytest.raises(IdentifierError):
            AgencyCode.parse(text)


def test_a_cccd_yields_province_sex_and_birth_year_and_is_masked() -> None:
    """001 Hà Nội, digit 1 = female born in the 1900s, year 90; repr never shows the number."""
    cccd = CitizenId.parse("001190012345")
    assert (cccd.province_code, cccd.sex, cccd.birth_year) == ("001", "female", 1990)
    assert CitizenId.parse("079205001234").birth_year == 2005
    assert CitizenId.parse("079205001234").sex == "male"
    assert cccd.masked() == "001*******45"
    assert "190012345" not in repr(cccd)


@pytest.mark.parametrize(
    "text",
    [
        "00119001234",
        "0011900123456",
        "00119001234a",
        "003190012345",
        "101190012345",
        "١٢٣٤٥٦٧٨٩٠١٢",
    ],
)
def test_invalid_cccds_are_refused(text: str) -> None:
    """Wrong length, non-digits, or a province code that does not exist: LGSP-ID-CCCD."""
    with pytest.raises(IdentifierError) as raised:
        CitizenId.parse(text)
    assert raised.value.code == "LGSP-ID-CCCD"
    assert text[3:9] not in raised.value.message or len(text) < 9


@pytest.mark.parametrize(
    "text", ["0100109106", "0301442379", "0301448243", "0309532909", "0100109106-001"]
)
def test_real_tax_codes_validate(text: str) -> None:
    """Published enterprise codes pass the check digit; a branch keeps its suffix."""
    assert str(TaxCode.parse(text)) == text


@pytest.mark.parametrize(
    "text", ["0100109107", "010010910", "0100109106-1", "0100109106-000", "01001091O6"]
)
def test_invalid_tax_codes_are_refused(text: str) -> None:
    """Wrong check digit, length, branch or characters: LGSP-ID-TAX."""
    with pytest.raises(IdentifierError) as raised:
        TaxCode.parse(text)
    assert raised.value.code == "LGSP-ID-TAX"


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_the_check_digit_makes_exactly_one_valid_code(first_nine: str) -> None:
    """Property: of the ten possible last digits, only the computed one (if any) is valid."""
    valid = [d for d in range(10) if _tax_ok(first_nine + str(d))]
    expected = check_digit(first_nine)
    assert valid == ([expected] if expected < 10 else [])


def _tax_ok(text: str) -> bool:
    try:
        TaxCode.parse(text)
    except IdentifierError:
        return False
    return True


def test_admin_unit_codes_by_length_and_province_table() -> None:
    """2 digits a province of the QĐ 124/2004 table, 3 a district, 5 a commune."""
    assert AdminUnitCode.parse("79").level == "province"
    assert AdminUnitCode.parse("775").level == "district"
    assert AdminUnitCode.parse("27358").level == "commune"
    for bad in ("03", "7", "7750", "2735a"):
        with pytest.raises(IdentifierError):
            AdminUnitCode.parse(bad)
    assert AdminUnitCode.parse("03", code_system="2025-reform").code_system == "2025-reform"


def test_the_directory_fans_out_to_every_commune_of_a_province() -> None:
    """descendants(tier=commune) lists communes under districts and (post-2025) directly."""
    directory = bundled_directory()
    hanoi = [str(a.code) for a in directory.descendants("000.00.00.H24", tier="commune")]
    assert "000.01.02.H24" in hanoi and "000.02.03.H24" in hanoi
    assert all(AgencyCode.parse(c).is_under(AgencyCode.parse("000.00.00.H24")) for c in hanoi)
    danang = [a.code for a in directory.descendants("000.00.00.H15", tier="commune")]
    assert _code("000.00.90.H15") in danang  # a two-tier commune sits right under the province
    assert [str(a.code) for a in directory.children("000.00.02.H24")] == [
        "000.01.02.H24",
        "000.02.02.H24",
    ]


def test_the_directory_finds_the_node_serving_an_agency_through_its_ancestors() -> None:
    """A ward is served by its province's node; a ministry unit by NGSP."""
    directory = bundled_directory()
    assert directory.node_for("000.01.02.H24") == "hanoi"
    assert directory.node_for("000.00.18.G12") == "ngsp"
    assert directory.node_for("000.05.20.H15") == "danang"  # unlisted unit, listed province
    with pytest.raises(IdentifierError) as raised:
        directory.node_for("000.00.00.H63")
    assert raised.value.code == "LGSP-ID-UNKNOWN-AGENCY"


def test_a_directory_with_a_bad_line_names_the_line() -> None:
    """Ops editing the CSV learn which line is wrong."""
    text = (
        "code,name,name_en,tier,node,admin_unit\n"
        "000.00.00.H24,Hà Nội,Hanoi,province,hanoi,01\n"
        "H24,x,x,x,,\n"
    )
    with pytest.raises(IdentifierError) as raised:
        AgencyDirectory.from_csv_text(text, source="agencies.csv")
    assert raised.value.code == "LGSP-ID-DIRECTORY" and "line 3" in raised.value.message
