"""The admin API's token decisions: bearer parsing, hash matching, role order, the refusal."""

from __future__ import annotations

import json
import subprocess
import sys

import pydantic
import pytest

from bus.adminauth import (
    AdminToken,
    AuthOutcome,
    Role,
    authorize,
    bearer_token,
    hash_admin_token,
    refusal,
)

TOKENS = [
    AdminToken(name="viewer-1", role=Role.VIEWER, token_sha256=hash_admin_token("v" * 20)),
    AdminToken(name="ops-1", role=Role.OPERATOR, token_sha256=hash_admin_token("o" * 20)),
]


def test_bearer_token_reads_only_the_bearer_scheme() -> None:
    """'Bearer x' gives x (scheme in any case); Basic, an empty token or no header give None."""
    assert bearer_token("Bearer abc") == "abc"
    assert bearer_token("bearer  abc ") == "abc"
    assert bearer_token("Basic abc") is None
    assert bearer_token("Bearer ") is None
    assert bearer_token(None) is None


def test_an_operator_may_do_what_a_viewer_may_but_not_the_reverse() -> None:
    """Roles are ordered: operator allows viewer's needs; viewer does not allow operator's."""
    assert Role.OPERATOR.allows(Role.VIEWER) and Role.OPERATOR.allows(Role.OPERATOR)
    assert Role.VIEWER.allows(Role.VIEWER) and not Role.VIEWER.allows(Role.OPERATOR)


@pytest.mark.parametrize(
    ("token", "needed", "outcome", "code"),
    [
        (None, Role.VIEWER, AuthOutcome.MISSING, "LGSP-ADMIN-UNAUTHENTICATED"),
        ("x" * 20, Role.VIEWER, AuthOutcome.UNKNOWN, "LGSP-ADMIN-UNAUTHENTICATED"),
        ("v" * 20, Role.OPERATOR, AuthOutcome.FORBIDDEN, "LGSP-ADMIN-FORBIDDEN"),
        ("v" * 20, Role.VIEWER, AuthOutcome.ALLOWED, None),
        ("o" * 20, Role.OPERATOR, AuthOutcome.ALLOWED, None),
    ],
)
def test_authorize_decides_by_the_hash_and_the_role(
    token: str | None, needed: Role, outcome: AuthOutcome, code: str | None
) -> None:
    """Each request gets one outcome, and refusals carry their stable code."""
    decision = authorize(TOKENS, token, needed)
    assert decision.outcome is outcome
    error = refusal(decision, needed, configured=True)
    assert (error.code if error else None) == code


def test_without_tokens_the_refusal_says_what_to_set() -> None:
    """A process with no tokens refuses with a message naming LGSP_ADMIN_TOKENS."""
    error = refusal(authorize([], "o" * 20, Role.VIEWER), Role.VIEWER, configured=False)
    assert error is not None and "LGSP_ADMIN_TOKENS" in error.message and error.status == 401


def test_a_token_hash_must_be_sha256_hex() -> None:
    """A configured hash that is not 64 hex digits (e.g. the token itself) is refused."""
    with pytest.raises(pydantic.ValidationError, match="64 hex digits"):
        AdminToken(name="x", role=Role.VIEWER, token_sha256="the-token-itself")
    upper = AdminToken(name="x", role=Role.VIEWER, token_sha256=hash_admin_token("t").upper())
    assert upper.token_sha256 == hash_admin_token("t")


def test_token_hash_prints_a_new_token_and_the_entry_of_its_hash() -> None:
    """`lgsp security token-hash` shows a new token once and an LGSP_ADMIN_TOKENS entry that
    holds its SHA-256, never the token; --stdin hashes a given one and refuses a short one."""

    def run(*args: str, given: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "lgsp", "security", "token-hash", *args],
            input=given,
            capture_output=True,
            text=True,
            timeout=60,
        )

    made = run("--name", "binh-ops", "--role", "operator")
    assert made.returncode == 0, made.stderr
    token = made.stdout.split("token: ")[1].split()[0]
    entry = json.loads(made.stdout.split("entry: ")[1])
    assert entry == {
        "name": "binh-ops",
        "role": "operator",
        "token_sha256": hash_admin_token(token),
    }
    assert token not in made.stdout.split("entry: ")[1]
    given = run("--name", "an", "--role", "viewer", "--stdin", given="a-token-of-twenty-chars\n")
    assert json.loads(given.stdout.split("entry: ")[1])["token_sha256"] == hash_admin_token(
        "a-token-of-twenty-chars"
    )
    short = run("--name", "an", "--role", "viewer", "--stdin", given="short\n")
    assert short.returncode == 1 and "LGSP-ADMIN-TOKEN-WEAK" in short.stderr
