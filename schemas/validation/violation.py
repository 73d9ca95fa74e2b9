"""What a broken rule says: a ``Violation`` (stable code, field path, message) and the
``ValidationError`` that carries every violation of one record."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from schemas.errors import RecordError


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: its code, the field's path (``$.owner.idNumber``) and why."""

    code: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message} [{self.code}]"

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "path": self.path, "message": self.message}


class ValidationError(RecordError):
    """A record that fits its schema but breaks a rule of the standards; ``code`` and ``path``
    are the first violation's, ``violations`` lists them all."""

    code = "LGSP-VALID"

    def __init__(self, subject: str, violations: Sequence[Violation]) -> None:
        assert violations, "a ValidationError needs at least one violation"
        self.violations = tuple(violations)
        self.path = violations[0].path
        super().__init__(
            f"{subject} record breaks the standards' rules",
            [str(v) for v in violations],
            code=violations[0].code,
        )
