"""What /readyz says before the probe task has learnt anything: steps and live checks."""

from __future__ import annotations

from bus.kafka.factory import PLAINTEXT
from bus.readiness import KafkaReadiness, ReadinessReport


def test_a_probe_that_never_reached_kafka_is_not_ready_and_says_so() -> None:
    """No answer yet: 503 material, naming Kafka and every step still to do."""
    readiness = KafkaReadiness("127.0.0.1:1", security=PLAINTEXT)
    readiness.require("checkpoint restored")
    report = readiness.report()
    assert not report.ready
    assert report.missing[0].startswith("kafka: never answered")
    assert "not done: checkpoint restored" in report.missing


def test_steps_done_and_passing_checks_leave_only_kafka_missing() -> None:
    """A step marked done and a check that passes drop out; a failing check shows its reason."""
    readiness = KafkaReadiness("127.0.0.1:1", security=PLAINTEXT)
    readiness.require("changelog restored")
    readiness.done("changelog restored")
    owned: list[int] = []
    readiness.check(lambda: None if owned else "partitions: none owned yet")
    assert readiness.report().missing[1:] == ("partitions: none owned yet",)
    owned.append(0)
    assert len(readiness.report().missing) == 1


def test_the_report_json_lists_what_is_missing() -> None:
    """The body of /readyz: ready and the reasons."""
    assert ReadinessReport(False, ("kafka: x",)).as_json() == {
        "ready": False,
        "missing": ["kafka: x"],
    }
    assert ReadinessReport(True).as_json() == {"ready": True, "missing": []}
