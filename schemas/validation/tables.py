"""The rules that are data: code lists (``schemas/data/codes.csv``) and text limits
(``schemas/data/field-limits.csv``), read once, each entry with its source."""

from __future__ import annotations

import csv
import hashlib
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

# Bumped when a rule written as code changes; the data files' digest is added to it.
RULES_CODE_VERSION = "1"


@dataclass(frozen=True, slots=True)
class CodeList:
    """The codes of one list (e.g. ``dossier-status``) with their meaning and source."""

    name: str
    meanings: Mapping[str, str]
    sources: Mapping[str, str]

    def __contains__(self, code: object) -> bool:
        return str(code) in self.meanings

    def describe(self) -> str:
        return ", ".join(self.meanings)


@dataclass(frozen=True, slots=True)
class TextLimit:
    subject: str
    path: str  # e.g. $.recipients[].name
    max_chars: int
    source: str
    steps: tuple[tuple[str, bool], ...] = ()  # the path parsed once: (field, is a list)


def parse_path(path: str) -> tuple[tuple[str, bool], ...]:
    """``$.recipients[].name`` -> (("recipients", True), ("name", False))."""
    return tuple(
        (part[:-2], True) if part.endswith("[]") else (part, False)
        for part in path.removeprefix("$.").split(".")
    )


def _data(name: str) -> str:
    return resources.files("schemas").joinpath(f"data/{name}").read_text("utf-8")


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))


@cache
def code_lists() -> Mapping[str, CodeList]:
    meanings: dict[str, dict[str, str]] = defaultdict(dict)
    sources: dict[str, dict[str, str]] = defaultdict(dict)
    for row in _rows(_data("codes.csv")):
        meanings[row["list"]][row["code"]] = row["meaning"]
        sources[row["list"]][row["code"]] = row["source"]
    return {name: CodeList(name, meanings[name], sources[name]) for name in meanings}


def code_list(name: str) -> CodeList:
    return code_lists()[name]


@cache
def text_limits() -> Mapping[str, tuple[TextLimit, ...]]:
    """Limits by subject."""
    limits: dict[str, list[TextLimit]] = defaultdict(list)
    for row in _rows(_data("field-limits.csv")):
        limit = TextLimit(
            row["subject"],
            row["path"],
            int(row["max_chars"]),
            row["source"],
            parse_path(row["path"]),
        )
        limits[limit.subject].append(limit)
    return {subject: tuple(found) for subject, found in limits.items()}


@cache
def ruleset_id() -> str:
    """Names this rule set: the code version and a digest of the rule data. A record stamped
    with it by the SDK was checked against exactly these rules."""
    digest = hashlib.sha256()
    for name in ("codes.csv", "field-limits.csv", "provinces-qd124-2004.csv"):
        digest.update(_data(name).encode())
    return f"{RULES_CODE_VERSION}.{digest.hexdigest()[:12]}"
