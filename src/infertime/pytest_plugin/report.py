"""The end of a test run: the summary table (80 columns) and --infertime-json's two files,
infertime's results and the same timings in pytest-benchmark's JSON layout. torch-free."""

from __future__ import annotations

import datetime
import json
import platform
import subprocess
import textwrap
from collections import Counter
from pathlib import Path
from typing import Any

from .._version import __version__
from ..reporting.units import duration, duration_in

WIDTH = 80
_WORST = ("regression", "slower", "inconclusive", "passed")


def _ci_duration(median: float, ci: list[float] | None) -> str:
    return f"{duration_in(ci[0], median)}–{duration(ci[1])}" if ci else "no CI"


def _ratio(value: float) -> str:
    return f"{value:.3f}"


def _ci_ratio(ci: list[float] | None) -> str:
    return f"{ci[0]:.3f}–{ci[1]:.3f}" if ci else "no CI"


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _checks(record: dict[str, Any]) -> str:
    """The worst outcome of the record's checks (its assertions and gates)."""
    states = [c["state"] for c in record.get("checks", [])]
    for state in _WORST:
        if state in states:
            return state
    return ""


def summary_lines(records: list[dict[str, Any]]) -> list[str]:
    """The table: one row per measurement (and per saved comparison), at most 80 columns."""
    per_test = Counter(r["nodeid"] for r in records)
    head = f"{'test':<25} {'figure':<12} {'median':>10} {'95 % CI':<17} result"
    lines = [head]
    for r in records:
        test = r["nodeid"].rpartition("::")[2]
        if per_test[r["nodeid"]] > 1:
            test = f"{test} {r['label']}"
        if r["kind"] == "latency":
            figure = "device time" if r["figure"] == "device_time" else "latency"
            value, ci = duration(r["median_s"]), _ci_duration(r["median_s"], r["ci_s"])
        else:
            figure, value, ci = "time ratio", _ratio(r["ratio"]), _ci_ratio(r["ci"])
        lines.append(
            f"{_fit(test, 25):<25} {figure:<12} {value:>10} {_fit(ci, 17):<17} "
            f"{_fit(_checks(r), 12)}".rstrip()
        )
        saved = r.get("saved")
        if saved is not None:
            name = _fit(f"  vs saved {saved['name']}", 25)
            if "error" in saved:
                lines.append(f"{name:<25} {'missing or unreadable: the test failed':<53}".rstrip())
            else:
                lines.append(
                    f"{name:<25} {'time ratio':<12} {_ratio(saved['ratio']):>10} "
                    f"{_fit(_ci_ratio(saved['ci']), 17):<17} {saved.get('gate', '')}".rstrip()
                )
    notes = ["median per call with its 95 % CI; a time ratio is the later over the first"]
    pairs = [r for r in records if r["kind"] == "compare"]
    if pairs:
        notes[0] += " (candidate / baseline; saved: this run / the saved one)"
    devices = sorted(
        {f"{r['device']} ({r['device_name']})" if r.get("device_name") else r["device"]
         for r in records}
    )  # fmt: skip
    notes.append("on " + "; ".join(devices))
    for note in notes:
        lines += textwrap.wrap(note, WIDTH, break_on_hyphens=False)
    return lines


# -- --infertime-json ----------------------------------------------------------------------


def benchmark_path(path: Path) -> Path:
    """FILE.json -> FILE.benchmark.json (FILE -> FILE.benchmark.json)."""
    stem = path.name[: -len(".json")] if path.name.endswith(".json") else path.name
    return path.with_name(f"{stem}.benchmark.json")


def infertime_document(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Every measurement of the run with its full result (infertime's result-file document)."""
    keep = ("nodeid", "label", "kind", "figure", "checks", "saved", "file")
    return {
        "schema": "infertime.pytest",
        "schema_version": 1,
        "infertime_version": __version__,
        "created_utc": _now(),
        "measurements": [
            {**{k: r[k] for k in keep if k in r}, "result": r.get("document")} for r in records
        ],
    }


def benchmark_document(records: list[dict[str, Any]], root: Path) -> dict[str, Any]:
    """pytest-benchmark's JSON layout (machine_info, commit_info, benchmarks, datetime,
    version), which benchmark-action/github-action-benchmark reads with `tool: 'pytest'`."""
    entries = [dict(b) for r in records for b in r.get("benchmarks", [])]
    count = Counter(e["fullname"] for e in entries)
    for e in entries:
        label = e.pop("label", "")
        if count[e["fullname"]] > 1 or ":" in label:
            e["fullname"] = f"{e['fullname']} ({label})"
            e["name"] = f"{e['name']} ({label})"
    names = sorted({r["device_name"] for r in records if r.get("device_name")})
    return {
        "machine_info": _machine_info(names),
        "commit_info": _commit_info(root),
        "benchmarks": entries,
        "datetime": _now(),
        "version": f"infertime {__version__}",
    }


def write_json(path: Path, records: list[dict[str, Any]], root: Path) -> list[Path]:
    from ..writing import write_text_atomic

    written = []
    for where, document in (
        (path, infertime_document(records)),
        (benchmark_path(path), benchmark_document(records, root)),
    ):
        where.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(json.dumps(document, indent=1, allow_nan=False) + "\n", where)
        written.append(where)
    return written


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat()


def _machine_info(device_names: list[str]) -> dict[str, Any]:
    return {
        "node": platform.node(),
        "processor": platform.processor(),
        "machine": platform.machine(),
        "python_compiler": platform.python_compiler(),
        "python_implementation": platform.python_implementation(),
        "python_implementation_version": platform.python_version(),
        "python_version": platform.python_version(),
        "python_build": list(platform.python_build()),
        "release": platform.release(),
        "system": platform.system(),
        "cpu": {"brand_raw": _cpu_model(), "arch": platform.machine()},
        "infertime_devices": device_names,
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor()


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, timeout=10, check=True
    )
    return done.stdout.strip()


def _commit_info(root: Path) -> dict[str, Any]:
    """The commit the run tested, as pytest-benchmark records it ('unversioned' outside git)."""
    try:
        return {
            "id": _git(root, "rev-parse", "HEAD"),
            "time": _git(root, "show", "-s", "--format=%cI", "HEAD"),
            "author_time": _git(root, "show", "-s", "--format=%aI", "HEAD"),
            "dirty": bool(_git(root, "status", "--porcelain", "--untracked-files=no")),
            "project": root.name,
            "branch": _git(root, "rev-parse", "--abbrev-ref", "HEAD"),
        }
    except (OSError, subprocess.SubprocessError):
        return {
            "id": "unversioned",
            "time": None,
            "author_time": None,
            "dirty": False,
            "project": root.name,
            "branch": "(unknown)",
        }
