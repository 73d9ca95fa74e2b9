"""edXML parsing fuzzed (hypothesis): arbitrary bytes, valid documents mutated byte by byte and
field by field, and entity/DTD bombs. Reading a file as the file-drop source does (parse, then
check against document.sent) either gives a valid record or raises an LgspError with its
code; nothing else escapes, and no entity is ever expanded."""

from __future__ import annotations

import time
from typing import Any
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from connectors.edxml.document import EdxmlError, parse_edxml
from connectors.edxml.writing import format_edxml
from schemas.catalog import bundled_catalog
from schemas.errors import LgspError
from schemas.examples import example_json
from schemas.jsonform import from_json
from tests.unit.test_edxml_document import HAND_WRITTEN

DOCUMENT = bundled_catalog().get("document.sent")
FUZZ = settings(
    max_examples=400, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)
VALID = [
    HAND_WRITTEN.encode(),
    format_edxml(
        example_json(DOCUMENT), received_by="000.00.00.H24", received_at="2026-11-20T03:00:00Z"
    ),
]


def _read(data: bytes) -> dict[str, Any] | None:
    """What the file-drop source does with a file: the record, or None for a coded refusal."""
    try:
        document = parse_edxml(data)
        from_json(DOCUMENT, document)
    except LgspError as error:
        assert error.code.startswith("LGSP-"), error
        return None
    return document


def _text_slots(data: bytes) -> list[tuple[int, int]]:
    """Where element text sits (between a '>' and the next '<'), as byte ranges."""
    slots, start = [], data.find(b">")
    while start != -1:
        end = data.find(b"<", start + 1)
        if end == -1:
            break
        slots.append((start + 1, end))
        start = data.find(b">", end)
    return slots


@FUZZ
@given(st.binary(max_size=4096))
@example(b"")
@example(b"<")
@example(b"\xff\xfe<\x00a\x00/\x00>\x00")
def test_arbitrary_bytes_give_a_record_or_a_coded_error(data: bytes) -> None:
    """Any bytes: a record or an LgspError with an LGSP- code, never another exception."""
    _read(data)


@FUZZ
@given(
    st.sampled_from(VALID),
    st.lists(
        st.tuples(st.integers(0, 10**6), st.integers(0, 64), st.binary(max_size=32)),
        min_size=1,
        max_size=6,
    ),
)
def test_byte_mutated_documents_give_a_record_or_a_coded_error(
    document: bytes, edits: list[tuple[int, int, bytes]]
) -> None:
    """A valid document with byte ranges cut and replaced: a record or a coded error."""
    data = bytearray(document)
    for at, length, insert in edits:
        start = at % (len(data) + 1)
        data[start : start + length] = insert
    _read(bytes(data))


FIELD_TEXT = st.one_of(
    st.text(max_size=64),
    st.sampled_from(["--5", "²", "-", "9" * 40, "2026/13/40", "0x1F", " 1 ", "١٢", "1e3"]),
)


@FUZZ
@given(st.sampled_from(VALID), st.lists(st.tuples(st.integers(0), FIELD_TEXT), max_size=8))
@example(VALID[0], [(i, "--5") for i in range(40)])
@example(VALID[0], [(i, "²") for i in range(40)])
def test_field_mutated_documents_give_a_record_or_a_coded_error(
    document: bytes, edits: list[tuple[int, str]]
) -> None:
    """A valid document with element texts replaced by any text (numbers, dates, codes):
    a record or a coded error listing the field. Found: '--5' and '²' escaped as ValueError."""
    data = document
    for at, text in edits:
        slots = _text_slots(data)
        start, end = slots[at % len(slots)]
        value = escape("".join(c for c in text if c.isprintable())).encode()
        data = data[:start] + value + data[end:]
    _read(data)


BOMBS = {
    "billion laughs": b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode()
        for i in range(1, 10)
    )
    + b"]><lolz>&lol9;</lolz>",
    "quadratic blowup": b'<!DOCTYPE r [<!ENTITY a "'
    + b"x" * 50_000
    + b'">]><r>'
    + b"&a;" * 50_000
    + b"</r>",
    "external entity": b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
    "external DTD": b'<!DOCTYPE r SYSTEM "http://127.0.0.1:9/evil.dtd"><r/>',
    "parameter entity": b'<!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p">%p;]><r/>',
    "undeclared entity": b"<r>&lol9;</r>",
    "bomb inside an edXML envelope": HAND_WRITTEN.encode()
    .replace(
        b"<edXML:edXMLEnvelope",
        b'<!DOCTYPE edXML:edXMLEnvelope [<!ENTITY s "x">]><edXML:edXMLEnvelope',
    )
    .replace(b"V/v", b"&s;"),
}


@pytest.mark.parametrize("bomb", BOMBS.values(), ids=list(BOMBS))
def test_entity_and_dtd_bombs_are_refused_without_expansion(bomb: bytes) -> None:
    """Entity bombs, external entities and DTDs: EdxmlError LGSP-CONN-EDXML-MALFORMED at once
    (no expansion, no network), never a record."""
    started = time.perf_counter()
    with pytest.raises(EdxmlError) as refused:
        parse_edxml(bomb)
    assert refused.value.code == "LGSP-CONN-EDXML-MALFORMED"
    assert time.perf_counter() - started < 1.0
    assert "lol" * 100 not in str(refused.value)
