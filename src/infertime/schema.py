"""Publish the JSON Schema of the result files: `python -m infertime.schema docs/schema`."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from .resultfile import document_schema, kind_formats


def schema_text(kind: str) -> str:
    return json.dumps(document_schema(kind), indent=1, sort_keys=True) + "\n"


def write_schemas(folder: str | os.PathLike[str]) -> list[Path]:
    """Write the JSON Schema of every kind's files as KIND.schema.json into `folder`."""
    out = []
    for kind in kind_formats():
        path = Path(folder) / f"{kind}.schema.json"
        path.write_text(schema_text(kind), encoding="utf-8")
        out.append(path)
    return out


if __name__ == "__main__":
    for written in write_schemas(sys.argv[1] if len(sys.argv) > 1 else "."):
        print(written)
