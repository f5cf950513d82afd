"""Figures of the reliability tests: printed, and written as JSON for docs/reliability.md.

Set ``CONTACTHUB_RELIABILITY_OUT`` to a directory to keep them: each test writes
``<name>.<database>.json`` there (the last run of each test on each database wins).
"""

import json
import os
from pathlib import Path
from typing import Any


def record(name: str, database: str, figures: dict[str, Any]) -> None:
    """Print the figures of one test on one database, and write them out if asked to."""
    text = json.dumps({"test": name, "database": database, **figures}, indent=2, sort_keys=True)
    print(f"\n{name} on {database}:\n{text}")  # noqa: T201 (the figures are the point; run with -s)
    out = os.environ.get("CONTACTHUB_RELIABILITY_OUT")
    if out:
        Path(out).mkdir(parents=True, exist_ok=True)
        (Path(out) / f"{name}.{database}.json").write_text(text + "\n")
