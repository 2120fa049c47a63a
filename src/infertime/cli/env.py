"""`infertime env`: everything a result will depend on, before measuring anything."""

from __future__ import annotations

import json
from typing import Any

from ..kinds.base import Values

OPTIONS = ("device", "debug")


def _flatten(prefix: str, value: Any, out: list[tuple[str, str]]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), v, out)
    else:
        out.append((prefix, json.dumps(value) if not isinstance(value, str) else value))


# Optional package -> the extra that installs it.
OPTIONAL = {
    "timm": "zoo",
    "torchvision": "zoo",
    "transformers": "hf",
    "onnxruntime": "onnx",
    "onnxscript": "onnx",
    "nvidia-ml-py": "gpu",
    "matplotlib": "plot",
}


def optional_packages() -> dict[str, str]:
    """Each optional package's installed version, or the install command (without importing)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for package, extra in OPTIONAL.items():
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = f"not installed (pip install 'infertime[{extra}]')"
    return out


def env(o: Values) -> None:
    """Show versions, device identity and state, numeric flags, threads and host state."""
    from rich.table import Table

    from ..devices import resolve_device
    from ..diagnose.host import check_environment
    from ..reporting.diagnostics import print_diagnostics
    from ..telemetry.environment import capture
    from .output import stderr, stdout

    dev = resolve_device(o.device)
    data = {**capture(dev), "optional_packages": optional_packages()}
    rows: list[tuple[str, str]] = []
    _flatten("", data, rows)
    table = Table(title=f"environment for {dev.name}", title_justify="left")
    table.add_column("key")
    table.add_column("value", overflow="fold")
    for k, v in rows:
        table.add_row(k, v)
    stdout.print(table)
    print_diagnostics(check_environment(data, dev.kind), stderr, include_info=True)
