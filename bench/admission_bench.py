"""What the gateway's admission check costs per fresh record: a record stamped by the SDK
(``lgsp-validated``) costs one header scan; an unstamped one is decoded and checked against
the standards' rules. ``Envelope.from_headers`` (paid by every record) is printed for scale.

    .venv/bin/python bench/admission_bench.py [--records 20000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import timeit
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from gateway.routing.admission import Admission
from schemas.catalog import bundled_catalog
from schemas.codec import AvroCodec
from schemas.envelope import Envelope
from schemas.examples import example_record
from schemas.ids import bundled_directory
from schemas.validation import VALIDATED_HEADER, ruleset_id, violations


@dataclass(frozen=True)
class _Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes]]


def _best_us(call: Callable[[], object], records: int, repeat: int) -> float:
    return min(timeit.repeat(call, number=records, repeat=repeat)) / records * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    schema = bundled_catalog().get("dossier.status", 2)
    codec = AvroCodec()
    value = codec.encode(schema, example_record(schema))
    headers = Envelope.new(
        source="000.01.02.H24", type=schema.event_type, dataschema=schema.dataschema
    ).to_headers()
    stamped = _Record("t", 0, 0, b"k", value, [*headers, (VALIDATED_HEADER, ruleset_id().encode())])
    bare = _Record("t", 0, 0, b"k", value, headers)
    admission = Admission(bundled_catalog(), bundled_directory())
    decoded = codec.decode(value)
    n, r = args.records, args.repeat
    figures = {
        "stamped record (header check)": lambda: admission.refusal(stamped),
        "unstamped (decode + rules)": lambda: admission.refusal(bare),
        "  of which decode": lambda: codec.decode(value),
        "  of which rules": lambda: violations(schema.subject, decoded, admission.directory),
        "for scale, Envelope.from_headers": lambda: Envelope.from_headers(headers),
    }
    for name, call in figures.items():
        print(f"{name + ':':36} {_best_us(call, n, r):8.2f} us/record")


if __name__ == "__main__":
    main()
