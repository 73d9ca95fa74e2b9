"""Canonical JSON: sorted keys, no spaces, UTF-8 (not ASCII-escaped). What the registry's
signature, a receipt's signature and an audit entry's hash cover, so the bytes must never
change: every input gives exactly ``json.dumps(value, sort_keys=True, separators=(",", ":"),
ensure_ascii=False).encode()``.

The border hashes one audit entry per record, a flat object of text, integers and nulls;
``json.dumps`` builds an encoder per call and sorts the keys each time, which costs more than
the entry's own encoding. Flat objects of that kind are encoded here directly, with the sorted
keys of each key set (the few shapes of audit entries and receipts) remembered; anything else
goes to ``json.dumps``. ``tests/unit/test_canonical_json.py`` holds the two to the same bytes.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring
from typing import Any

_MAX_SHAPES = 64
# the key set of an object, in its insertion order -> its keys, sorted, with their JSON prefix
_shapes: dict[tuple[str, ...], tuple[tuple[str, str], ...]] = {}
_int_text = int.__repr__  # what json.dumps writes for an int


def reference_canonical_json(value: Any) -> bytes:
    """The definition: canonical JSON by ``json.dumps``."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def canonical_json(value: Any) -> bytes:
    """``reference_canonical_json(value)``, faster for a flat object of text, ints and nulls."""
    if type(value) is not dict:
        return reference_canonical_json(value)
    keys = tuple(value)
    shape = _shapes.get(keys)
    if shape is None:
        if not all(type(key) is str for key in keys):
            return reference_canonical_json(value)
        shape = tuple((key, encode_basestring(key) + ":") for key in sorted(keys))
        if len(_shapes) < _MAX_SHAPES:
            _shapes[keys] = shape
    parts = []
    for key, prefix in shape:
        item = value[key]
        kind = type(item)
        if kind is str:
            parts.append(prefix + encode_basestring(item))
        elif item is None:
            parts.append(prefix + "null")
        elif kind is int:
            parts.append(prefix + _int_text(item))
        else:  # floats, booleans, lists, nested objects, subclasses: the general encoder
            return reference_canonical_json(value)
    return ("{" + ",".join(parts) + "}").encode()
