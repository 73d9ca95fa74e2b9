"""deploy/kubernetes/users.yaml agrees with bus/kafka/acls.py: each KafkaUser holds exactly
the grants the code computes for its principal from deploy/config, no more and no fewer."""

from __future__ import annotations

from tests.deployfiles import DEPLOY, yaml_documents
from tests.kafkausers import kafka_users_yaml, principal_acls, rules_from_code, rules_of

USERS = DEPLOY / "kubernetes" / "users.yaml"


def test_every_kafka_user_holds_exactly_the_grants_of_acls_py() -> None:
    """Gateway, webhook connector, tracker and console: the same rules as acls.py, both ways."""
    users = {d["metadata"]["name"]: d for d in yaml_documents(USERS) if d["kind"] == "KafkaUser"}
    expected = principal_acls()
    assert set(users) == set(expected)
    for name, bindings in expected.items():
        assert rules_of(users[name]) == rules_from_code(bindings), name


def test_the_file_is_what_the_generator_writes() -> None:
    """users.yaml is `python -m tests.kafkausers`' output, so it cannot drift by hand."""
    assert USERS.read_text() == kafka_users_yaml()


def test_the_comparison_catches_an_extra_grant() -> None:
    """A Write added by hand to the tracker's user is a difference the check reports."""
    (tracker,) = [d for d in yaml_documents(USERS) if d["metadata"]["name"].startswith("lgsp-tr")]
    tracker["spec"]["authorization"]["acls"].append(
        {"resource": {"type": "topic", "name": "lgsp.hanoi.", "patternType": "prefix"},
         "operations": ["Write"]}
    )  # fmt: skip
    code = rules_from_code(principal_acls()[tracker["metadata"]["name"]])
    assert rules_of(tracker) - code == {("topic", "lgsp.hanoi.", "prefix", "Write")}
