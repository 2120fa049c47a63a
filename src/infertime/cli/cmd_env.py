"""`infertime env`: everything a result will depend on, before measuring anything."""

from __future__ import annotations

import json
from typing import Any

from .cmd_run import DebugOpt, DeviceOpt
from .common import stdout


def _flatten(prefix: str, value: Any, out: list[tuple[str, str]]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), v, out)
    else:
        out.append((prefix, json.dumps(value) if not isinstance(value, str) else value))


def env(device: DeviceOpt = "auto", debug: DebugOpt = False) -> None:
    """Show versions, device identity and state, numeric flags, threads and host state."""
    import torch
    from rich.table import Table

    from ..devices import resolve_device
    from ..diagnose import check_environment
    from ..environment import capture
    from ..reporting.diagnostics import print_diagnostics
    from .common import stderr

    dev = resolve_device(device)
    data = capture(
        dev,
        grad_enabled=torch.is_grad_enabled(),
        inference_mode=torch.is_inference_mode_enabled(),
    )
    data.pop("mode", None)  # describes a measurement; none is running here
    rows: list[tuple[str, str]] = []
    _flatten("", data, rows)
    table = Table(title=f"environment for {dev.name}", title_justify="left")
    table.add_column("key")
    table.add_column("value", overflow="fold")
    for k, v in rows:
        table.add_row(k, v)
    stdout.print(table)
    print_diagnostics(check_environment(data, dev.kind), stderr, include_info=True)
