"""Coverage-guided fuzzing (atheris / libFuzzer) of the codec, the envelope and park headers.

Not collected by pytest (the hypothesis suite in tests/unit/test_fuzz_contract.py runs in CI);
run by hand after ``pip install atheris`` (a wheel exists for CPython 3.11 on Linux x86-64):

    .venv/bin/python -m tests.fuzz.atheris_contract -runs=200000
    .venv/bin/python -m tests.fuzz.atheris_contract -max_total_time=120

Any exception that is not an ``LgspError`` with a code is a finding: libFuzzer stops and
writes the input to ``crash-<sha1>``.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from schemas.codec import AvroCodec
    from schemas.envelope import Envelope
    from schemas.errors import LgspError
    from schemas.parking import read_park_info

CODEC = AvroCodec()
NAMES = [
    "ce_specversion",
    "ce_id",
    "ce_source",
    "ce_type",
    "ce_time",
    "ce_dataschema",
    "ce_recipients",
    "ce_traceparent",
    "ce_attempt",
    "content-type",
    "lgsp-park-code",
    "lgsp-attempts",
    "lgsp-due-at",
    "lgsp-first-failure",
]


def one_input(data: bytes) -> None:
    provider = atheris.FuzzedDataProvider(data)
    choice = provider.ConsumeIntInRange(0, 2)
    try:
        if choice == 0:
            CODEC.decode(provider.ConsumeBytes(provider.remaining_bytes()))
        else:
            headers = [
                (NAMES[provider.ConsumeIntInRange(0, len(NAMES) - 1)], provider.ConsumeBytes(24))
                for _ in range(provider.ConsumeIntInRange(0, 12))
            ]
            if choice == 1:
                Envelope.from_headers(headers)
            else:
                read_park_info(headers)
    except LgspError as error:
        assert error.code.startswith("LGSP-"), error.code


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
