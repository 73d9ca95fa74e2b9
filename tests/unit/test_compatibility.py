"""`lgsp schemas check`: FULL_TRANSITIVE compatibility, immutable published versions, examples."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from schemas.catalog import bundled_schema_folder
from schemas.compatibility import check_folder, write_lock


def _copy_contract(tmp_path: Path) -> Path:
    folder = tmp_path / "avro"
    shutil.copytree(bundled_schema_folder(), folder)
    shutil.copytree(bundled_schema_folder().parent / "examples", tmp_path / "examples")
    return folder


def _errors(folder: Path) -> list[str]:
    return [f.message for f in check_folder(folder) if f.severity == "error"]


def _add_version(folder: Path, subject: str, version: int, change: dict[str, object]) -> None:
    previous = json.loads((folder / f"{subject}.v{version - 1}.avsc").read_text())
    previous["fields"].append(change)
    (folder / f"{subject}.v{version}.avsc").write_text(json.dumps(previous, ensure_ascii=False))
    example = json.loads(
        (folder.parent / "examples" / f"{subject}.v{version - 1}.json").read_text()
    )
    (folder.parent / "examples" / f"{subject}.v{version}.json").write_text(json.dumps(example))


def test_the_bundled_contract_passes() -> None:
    """Every subject is FULL_TRANSITIVE, every published version intact, every example valid."""
    assert _errors(bundled_schema_folder()) == []


def test_a_new_field_with_a_default_is_compatible(tmp_path: Path) -> None:
    """Adding an optional field (with a default) to a new version passes."""
    folder = _copy_contract(tmp_path)
    _add_version(
        folder, "dossier.status", 3, {"name": "note", "type": ["null", "string"], "default": None}
    )
    assert _errors(folder) == []


def test_a_new_required_field_breaks_full_transitive_compatibility(tmp_path: Path) -> None:
    """A field without a default cannot be read from v1 or v2 data: the pairs are named."""
    folder = _copy_contract(tmp_path)
    _add_version(folder, "dossier.status", 3, {"name": "note", "type": "string"})
    errors = _errors(folder)
    assert any("v3 cannot read data written with v1" in e for e in errors)
    assert any("v3 cannot read data written with v2" in e for e in errors)


def test_changing_a_published_version_in_place_fails(tmp_path: Path) -> None:
    """Editing v1 instead of adding v3 is caught by its pinned fingerprint."""
    folder = _copy_contract(tmp_path)
    path = folder / "payment.result.v1.avsc"
    schema = json.loads(path.read_text())
    schema["fields"][0]["type"] = ["null", "string"]
    path.write_text(json.dumps(schema))
    assert any("payment.result.v1 was changed in place" in e for e in _errors(folder))


def test_a_version_without_an_example_fails(tmp_path: Path) -> None:
    """Every version ships an example that fits it."""
    folder = _copy_contract(tmp_path)
    (tmp_path / "examples" / "lookup.reply.v1.json").unlink()
    assert "no example lookup.reply.v1.json" in _errors(folder)


def test_lock_pins_new_versions(tmp_path: Path) -> None:
    """`lock` records a new version's fingerprint so later edits to it are caught."""
    folder = _copy_contract(tmp_path)
    _add_version(
        folder, "dossier.status", 3, {"name": "note", "type": ["null", "string"], "default": None}
    )
    assert "dossier.status.v3" in write_lock(folder)


def test_the_cli_exits_non_zero_on_a_breaking_change(tmp_path: Path) -> None:
    """`lgsp schemas check --folder` fails CI on an incompatible schema, and passes otherwise."""
    folder = _copy_contract(tmp_path)
    ok = subprocess.run(
        [sys.executable, "-m", "lgsp", "schemas", "check", "--folder", str(folder)],
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stderr
    _add_version(folder, "document.status", 2, {"name": "channel", "type": "int"})
    broken = subprocess.run(
        [sys.executable, "-m", "lgsp", "schemas", "check", "--folder", str(folder)],
        capture_output=True,
        text=True,
    )
    assert broken.returncode == 1
    assert "FULL_TRANSITIVE" in broken.stderr
