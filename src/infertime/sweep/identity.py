"""Names of points and sweeps: hashes of the resolved configuration and of the environment.

A point's configuration is resolved before it is hashed: every WorkloadSpec field with its
default filled in, the device as the kind it will run on (cpu or cuda; a sweep places points
on GPUs itself), and every other option of its kind (None: the command's default). A point's
file is `<config hash 16>-<fingerprint hash 8>-r<round>.json`; a sweep's id is the hash of its
points' configurations, so reordering the grid keeps it and adding a point changes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..serialization import dump
from ..specs.spec import WorkloadSpec
from .fingerprint import digest
from .grid import Point
from .options import options_of

IDENTITY_VERSION = 1
_FILE = re.compile(r"^([0-9a-f]{16})-([0-9a-f]{8})-r(\d+)\.json$")


def resolved_config(point: Point, device_kind: str) -> dict[str, Any]:
    """The configuration as hashed: defaults filled in, the device resolved to its kind."""
    workload = dump(WorkloadSpec(**point.workload()))
    workload["device"] = device_kind
    options = {
        key: _plain(point.get(key))
        for key, info in options_of(point.kind).items()
        if not info.workload
    }
    return {
        "identity_version": IDENTITY_VERSION,
        "kind": point.kind,
        "workload": workload,
        "options": options,
    }


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def device_kind_of(point: Point, gpus_available: bool) -> str:
    """Where a point runs: 'cuda' or 'cpu' ('auto' resolves as the command would)."""
    device = str(point.get("device", "auto")).strip().lower()
    if device == "auto":
        return "cuda" if gpus_available else "cpu"
    return "cuda" if device.startswith("cuda") else device


@dataclass(frozen=True)
class PlannedPoint:
    """A point with its resolved configuration and the hash that names it."""

    point: Point
    device_kind: str
    config: dict[str, Any]
    config_hash: str

    @property
    def key(self) -> str:
        return self.config_hash[:16]


def plan_point(point: Point, gpus_available: bool) -> PlannedPoint:
    kind = device_kind_of(point, gpus_available)
    config = resolved_config(point, kind)
    return PlannedPoint(point, kind, config, digest(config))


def sweep_id(points: list[PlannedPoint]) -> str:
    return digest(sorted(p.config_hash for p in points))[:16]


def file_name(config_hash: str, fingerprint_hash: str, round_: int) -> str:
    return f"{config_hash[:16]}-{fingerprint_hash[:8]}-r{round_}.json"


def parse_file_name(name: str) -> tuple[str, str, int] | None:
    """(config key, fingerprint key, round) of a point file's name; None for other files."""
    m = _FILE.match(name)
    return (m.group(1), m.group(2), int(m.group(3))) if m else None
