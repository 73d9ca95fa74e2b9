"""``lgsp connector new``: a working connector to start from, with its config and a test.

A source reads a JSON-lines file of changes (its position is the file offset, saved in the
checkpoint topic); a sink writes the records it receives to a JSON-lines file, once per ce_id.
Replace the file handling with calls to the agency's system; keep the rest.
"""

from __future__ import annotations

import enum
from pathlib import Path

from connectors.errors import ConnectorError
from connectors.scaffold_templates import TEMPLATES
from connectors.topics import NAME, NAME_RULE


class Kind(enum.StrEnum):
    source = "source"
    sink = "sink"


def scaffold(name: str, kind: Kind, folder: Path) -> list[Path]:
    """Write ``<folder>/<name>/{<module>.py, <name>.yaml, test_<module>.py}``; return the
    paths (code, config, test). Existing files are never overwritten."""
    if not NAME.match(name):
        raise ConnectorError(f"connector name {name!r}: {NAME_RULE}", code="LGSP-CONN-SCAFFOLD")
    module = name.replace("-", "_")
    class_name = "".join(part.title() for part in name.split("-"))
    target = folder / name
    files = {
        target / f"{module}.py": TEMPLATES[f"{kind}_code"],
        target / f"{name}.yaml": TEMPLATES[f"{kind}_config"],
        target / f"test_{module}.py": TEMPLATES[f"{kind}_test"],
    }
    existing = [str(path) for path in files if path.exists()]
    if existing:
        raise ConnectorError(
            f"not overwriting {', '.join(existing)}: choose another name or folder",
            code="LGSP-CONN-SCAFFOLD",
        )
    target.mkdir(parents=True, exist_ok=True)
    for path, template in files.items():
        text = template.replace("__NAME__", name).replace("__MODULE__", module)
        path.write_text(text.replace("__CLASS__", class_name), encoding="utf-8")
    return list(files)
