"""The standards' rules one by one: identities, nesting depth, the data tables and their
sources, the rule set's name, and that every code is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from schemas.catalog import bundled_catalog
from schemas.examples import example_record
from schemas.ids.taxcode import TaxCode
from schemas.validation import (
    MAX_JSON_DEPTH,
    ValidationError,
    check,
    codes,
    json_depth_violation,
    ruleset_id,
    violations,
)
from schemas.validation.identities import citizen_id_violation
from schemas.validation.tables import code_lists, text_limits

ROOT = Path(__file__).parent.parent.parent
DOSSIER = bundled_catalog().get("dossier.status")


def test_every_bundled_example_keeps_every_rule() -> None:
    """The contract's own examples (what integrators copy first) break no rule."""
    for schema in bundled_catalog():
        assert violations(schema.subject, example_record(schema)) == [], schema.subject


@pytest.mark.parametrize(
    ("number", "year", "broken"),
    [
        ("001190012345", 2026, False),  # female, born 1990, Hà Nội
        ("079203001234", 2026, False),  # female, born 2003, Hồ Chí Minh City
        ("079226001234", 2026, False),  # male, born in the record's own year
        ("079227001234", 2026, True),  # born 2027, after the record's year
        ("001490012345", 2026, True),  # digit 4: born in the 2100s
        ("099190012345", 2026, True),  # 099: no province of birth registration
        ("00119001234", 2026, True),  # 11 digits
    ],
)
def test_a_cccd_needs_a_province_and_a_birth_year_that_has_happened(
    number: str, year: int, broken: bool
) -> None:
    """Digits 1-3 a province, digit 4 sex and century, 5-6 the birth year: a birth after the
    record's own year is refused, and the message never repeats the number."""
    found = citizen_id_violation(number, "$.owner.idNumber", year)
    assert (found is not None) == broken
    if found is not None:
        assert found.code == "LGSP-ID-CCCD" and number not in found.message


@pytest.mark.parametrize("text", ["0100109106-001", "0100109106001"])
def test_a_branch_tax_code_has_13_digits_with_or_without_the_dash(text: str) -> None:
    """Both spellings of a branch parse to the same code."""
    assert str(TaxCode.parse(text)) == "0100109106-001"


def test_json_depth_is_measured_without_recursion() -> None:
    """A value nested 100,000 levels (far past Python's recursion limit) is reported at its
    first level too deep, with its path; the contract's deepest record passes."""
    deep: list[object] = []
    node = deep
    for _ in range(100_000):
        child: list[object] = []
        node.append(child)
        node = child
    found = json_depth_violation({"owner": deep})
    assert found is not None and found.code == "LGSP-VALID-JSON-DEPTH"
    assert found.path.startswith("$.owner[0]") and found.path.count("[0]") == MAX_JSON_DEPTH - 1
    assert json_depth_violation(example_record(DOSSIER) | {"receivedAt": None}) is None


def test_check_raises_every_violation_with_the_first_code_and_path() -> None:
    """Two broken rules: one ValidationError, code and path of the first, both listed."""
    record = example_record(DOSSIER) | {"statusCode": 99, "channel": 7}
    with pytest.raises(ValidationError) as raised:
        check("dossier.status", record)
    error = raised.value
    assert error.code == "LGSP-VALID-DOSSIER-STATUS" and error.path == "$.statusCode"
    assert {"LGSP-VALID-DOSSIER-STATUS", "LGSP-VALID-CHANNEL"} <= {v.code for v in error.violations}
    assert "$.channel" in str(error) and len(error.problems) == len(error.violations)


def test_every_code_and_limit_cites_its_source() -> None:
    """Each entry of the rule tables names where it comes from (a decree, a standard, impl.
    or bus), so a reader can check it."""
    for code_list in code_lists().values():
        for code in code_list.meanings:
            assert code_list.sources[code].strip(), (code_list.name, code)
    for limits in text_limits().values():
        for limit in limits:
            assert limit.source.strip() and limit.max_chars > 0, limit


def test_the_rule_set_name_follows_the_rule_data() -> None:
    """The stamp names the code version and a digest of the rule files: stable in a process."""
    assert re.fullmatch(r"\d+\.[0-9a-f]{12}", ruleset_id())
    assert ruleset_id() == ruleset_id()


def test_every_rule_code_is_documented_with_its_fix() -> None:
    """docs/errors.md lists every code a rule can give; docs/validation.md every rule code."""
    errors_doc = (ROOT / "docs/errors.md").read_text(encoding="utf-8")
    validation_doc = (ROOT / "docs/validation.md").read_text(encoding="utf-8")
    names = [name for name in dir(codes) if name.isupper()]
    values = {getattr(codes, name) for name in names if isinstance(getattr(codes, name), str)}
    assert values
    for code in values:
        assert f"| {code} |" in errors_doc, code
        assert f"`{code}`" in validation_doc, code


@pytest.mark.parametrize("masked", ["001*******45", "010*****06", "010*********01"])
def test_an_owner_id_masked_by_the_gateway_is_accepted_as_masked(masked: str) -> None:
    """A dossier whose owner id a route masked (for a destination not entitled to it) passes
    the next node's check; a half-masked number does not."""
    record = example_record(DOSSIER)
    owner = record["owner"] | {"idNumber": masked, "kind": 1 if len(masked) == 12 else 2}
    assert violations("dossier.status", record | {"owner": owner}) == []
    broken = record["owner"] | {"idNumber": "0011*00123*5"}
    assert [v.code for v in violations("dossier.status", record | {"owner": broken})] == [
        "LGSP-ID-CCCD"
    ]


def test_a_node_directory_decides_which_agencies_exist() -> None:
    """The rules check agency codes against the directory they are given: an agency of a
    node's own directory passes there and is unknown to the bundled one."""
    from schemas.ids.directory import AgencyDirectory

    text = (
        "code,name,name_en,tier,node,admin_unit\n"
        "000.00.00.H41,UBND Nghệ An,Nghệ An,province,nghean,40\n"
        "000.07.09.H41,UBND xã,Commune,commune,,\n"
    )
    own = AgencyDirectory.from_csv_text(text)
    record = example_record(DOSSIER) | {"receivingAgency": {"code": "000.07.09.H41", "name": "x"}}
    assert violations("dossier.status", record, own) == []
    assert [v.code for v in violations("dossier.status", record)] == ["LGSP-ID-UNKNOWN-AGENCY"]
