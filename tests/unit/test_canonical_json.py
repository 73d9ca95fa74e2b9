"""Canonical JSON's fast path writes exactly the bytes of its definition (``json.dumps`` with
sorted keys, no spaces, UTF-8): the audit chain's hashes, receipts' and the registry's
signatures depend on every byte."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.federation.trust.canonical import canonical_json, reference_canonical_json

_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)  # no lone surrogates
_scalars = (
    _text
    | st.none()
    | st.integers()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.booleans()
    | st.floats(allow_nan=False, allow_infinity=False)
)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(_text, _text | st.none() | st.integers(), max_size=16))
def test_a_flat_object_of_text_ints_and_nulls_encodes_as_its_definition(
    value: dict[str, Any],
) -> None:
    """The audit entry's shape (the fast path): any keys, any text (quotes, controls,
    non-ASCII), ints of any size, nulls; twice, so a remembered key order is checked too."""
    assert canonical_json(value) == reference_canonical_json(value)
    assert canonical_json(dict(reversed(value.items()))) == reference_canonical_json(value)


@settings(max_examples=300, deadline=None)
@given(_values)
def test_any_json_value_encodes_as_its_definition(value: Any) -> None:
    """Anything else (booleans, floats, lists, nested objects, a bare scalar) too."""
    assert canonical_json(value) == reference_canonical_json(value)


def test_an_audit_entry_encodes_as_its_definition() -> None:
    """A real entry's shape, with Vietnamese text and a quote in the reason."""
    entry = {"seq": 41, "at": "2026-12-02T03:55:08.123Z", "node": "hanoi", "peer": "ngsp",
             "decision": "refused", "code": "LGSP-FED-NO-ROUTE", "ce_id": "e-1",
             "reason": 'Sở Tư pháp: "không có tuyến"\n', "recipients": None,
             "prev": "0" * 64}  # fmt: skip
    assert canonical_json(entry) == reference_canonical_json(entry)


@pytest.mark.parametrize(
    "value", [{"a": "\ud800"}, {1: "x"}, {"a": 1.5}, {"a": True}, {"a": [1, {"b": None}]}]
)
def test_what_the_fast_path_does_not_take_behaves_as_the_definition(value: Any) -> None:
    """A lone surrogate fails as it does in json (it is not UTF-8); a non-text key, a float,
    a boolean, a nested value go to json.dumps."""
    try:
        expected: bytes | type[Exception] = reference_canonical_json(value)
    except UnicodeEncodeError:
        expected = UnicodeEncodeError
    try:
        got: bytes | type[Exception] = canonical_json(value)
    except UnicodeEncodeError:
        got = UnicodeEncodeError
    assert got == expected
