"""YAML configuration files validated with pydantic, every error reported with its line.

Ops edit these files by hand; an error that says ``routes.yaml line 14: routes[2].match.from:
'000.00.00.H24x' is not an agency code`` is fixed in seconds, a traceback is not.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from schemas.errors import LgspError

Model = TypeVar("Model", bound=BaseModel)
Location = tuple[str | int, ...]


class ConfigError(LgspError):
    """A configuration file that cannot be used; ``problems`` lists each one with its line."""

    code = "LGSP-CONFIG-INVALID"

    def __init__(self, source: str, problems: list[str]):
        super().__init__(f"{source} is invalid:\n  " + "\n  ".join(problems))
        self.problems = problems


def load_yaml_model(
    path: Path, model: type[Model], *, context: dict[str, Any] | None = None
) -> Model:
    """Parse ``path`` and validate it as ``model``; raise ``ConfigError`` naming every line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(str(path), [f"cannot read: {error.strerror}"]) from error
    return parse_yaml_model(text, model, source=str(path), context=context)


def parse_yaml_model(
    text: str, model: type[Model], *, source: str, context: dict[str, Any] | None = None
) -> Model:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise ConfigError(
            source, [f"{where}not valid YAML: {getattr(error, 'problem', error)}"]
        ) from error
    lines = dict(_lines(root, ())) if root is not None else {}
    try:
        return model.model_validate(data if data is not None else {}, context=context)
    except ValidationError as error:
        problems = [_problem(lines, tuple(e["loc"]), e["msg"]) for e in error.errors()]
        raise ConfigError(source, problems) from error


def _problem(lines: dict[Location, int], location: Location, message: str) -> str:
    return f"line {_line_of(lines, location)}: {_dotted(location) or '(top)'}: {message}"


def _lines(node: yaml.Node, path: Location) -> Iterator[tuple[Location, int]]:
    yield path, node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield (*path, key.value), key.start_mark.line + 1
            yield from _lines(value, (*path, key.value))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _lines(item, (*path, index))


def _line_of(lines: dict[Location, int], location: Location) -> int:
    """Line of the deepest part of ``location`` present in the file (validators add parts)."""
    for end in range(len(location), -1, -1):
        if location[:end] in lines:
            return lines[location[:end]]
    return 1


def _dotted(location: Location) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def line_in(text: str, location: Location) -> int:
    """Line of ``location`` (keys and indexes, e.g. ``("federation", "keys", 0, "file")``) in
    YAML ``text``: of its deepest part present; 1 when the text does not parse."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return 1
    return _line_of(dict(_lines(root, ())) if root is not None else {}, location)
