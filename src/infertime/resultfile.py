"""Result files: one versioned JSON schema for every kind, written atomically, read back checked.

A file is a header (schema, version, kind, infertime version, time), the result's own fields as
its dataclass declares them (serialization.py), and derived sections written for readers
(statistics, choices), which are ignored on load and recomputed from raw samples. Each kind's
result module describes its file form in a `KindFormat`: the result type, its derived sections,
and how to read files of older schema versions.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InfertimeError, ResultFileError
from .records import ResultBase
from .serialization import DataError, dump, json_schema, load
from .writing import check_writable, is_stream, write_text_atomic

__all__ = ["check_writable", "is_stream", "write_text_atomic"]  # kept here for old imports

SCHEMA_NAME = "infertime.result"
SCHEMA_VERSION = 6
SCHEMA_HISTORY = {
    1: "latency, throughput and pitfalls results; raw samples in seconds per call",
    2: "settings hold the workload spec, the measurement context read back from inside it, the "
    "inputs, the timer and the method; throughput keeps its policy and choices as fields; "
    "memory readings are typed. Version-1 files are read by rebuilding these from their old "
    "settings and environment",
    3: "the stop policy records how many checks in a row must meet the precision "
    "(`consecutive_passes`; files before it stopped at the first one); a latency-budget choice "
    "states the confidence of its p99 bound instead of `exact`",
    4: "a new kind, `compare` (configurations interleaved in one process, in alternating "
    "fresh processes, or from saved files, with ratios); latency results may carry "
    "`processes`, the raw figures of each fresh process of `--processes`",
    5: "compare records the copies of each model (`policy.copies`), the ballast and each "
    "copy's agreement; version-4 comparisons built one copy",
    6: "`analysis` is typed: the pipeline's probes write sections of declared types (wall "
    "time, CUPTI state, model output, backend builds, the NVML watch, the kernel-time pass) "
    "and each kind adds its own; throughput and compare carry the NVML watch too; the "
    "`cuda-graph` backend is part of the workload spec. Version-5 analysis dicts load into "
    "these types. Latency, throughput and compare results may carry `analysis.energy` "
    "(`--energy`: the energy probe's method, windows, figures and findings; optional, so "
    "version-6 files without it are unchanged). A new kind, `generate` (text generation: "
    "raw device marks per timed call, the caller's path, a batch sweep), kept from version 6 "
    "on (no older files of it exist)",
}
HEADER_KEYS = ("schema", "schema_version", "kind", "infertime_version", "created_utc")

Document = dict[str, Any]


@dataclass(frozen=True)
class KindFormat:
    """How one result kind is kept on disk."""

    result_type: type[Any]  # its `kind` names the kind in the file's header
    # Sections written for readers of the file, derived from the result, ignored on load,
    # and their type (a TypedDict), for the published JSON Schema.
    derived: Callable[[Any], Document]
    derived_type: type[Any]
    # For each older schema version: turn such a document into the next version's form.
    upgrades: Mapping[int, Callable[[Document], Document]] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        kind: str = self.result_type.kind
        return kind


def kind_formats() -> dict[str, KindFormat]:
    """Every registered kind's file form (kinds/__init__.py), by kind."""
    from . import kinds

    return {k.name: k.format for k in kinds.all_kinds() if k.format_path is not None}


def _finite(obj: Any) -> Any:
    """JSON has no NaN or infinity: write null instead of producing an invalid document."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {str(k): _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def to_document(result: Any) -> Document:
    """The file form of a result: header first, then its fields, then the derived sections."""
    fmt = kind_formats()[result.kind]
    body = dump(result)
    header = {
        "schema": SCHEMA_NAME,
        "schema_version": SCHEMA_VERSION,
        "kind": result.kind,
        "infertime_version": body.pop("infertime_version"),
        "created_utc": body.pop("created_utc"),
    }
    environment = body.pop("environment")  # long and rarely read: last
    document: Document = _finite(
        {**header, **body, **fmt.derived(result), "environment": environment}
    )
    return document


def from_document(data: Any, where: str = "the document") -> Any:
    """A result from its file form, of any kind and any schema version this infertime reads."""
    if not isinstance(data, dict) or data.get("schema") != SCHEMA_NAME:
        raise ResultFileError(f"{where} is not an infertime result file")
    version = data.get("schema_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ResultFileError(f"{where} has an invalid schema_version {version!r}")
    if version > SCHEMA_VERSION:
        raise ResultFileError(
            f"{where} has schema version {version}; this infertime reads up to {SCHEMA_VERSION}",
            advice="upgrade infertime",
        )
    fmt = kind_formats().get(str(data.get("kind")))
    if fmt is None:
        raise ResultFileError(f"{where} holds an unknown result kind {data.get('kind')!r}")
    document = dict(data)
    try:
        for v in range(version, SCHEMA_VERSION):
            document = fmt.upgrades[v](document)
        fields = {
            k: v for k, v in document.items() if k not in ("schema", "schema_version", "kind")
        }
        return load(fmt.result_type, fields)
    except DataError as exc:
        raise ResultFileError(f"{where} is damaged or incomplete: {exc}") from None
    except InfertimeError as exc:  # a field's own check (e.g. a spec with a bad dtype)
        raise ResultFileError(f"{where} is damaged: {exc.one_line()}") from None
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise ResultFileError(f"{where} is damaged or incomplete: {exc!r}") from None


def document_schema(kind: str) -> dict[str, Any]:
    """JSON Schema of one kind's files: header, the fields read back, the derived sections."""
    fmt = kind_formats()[kind]
    schema = json_schema(fmt.result_type)
    defs = dict(schema.pop("$defs", {}))
    properties = dict(schema.get("properties", {}))
    required = [k for k in schema.get("required", []) if k not in ("created_utc",)]
    header = {
        "schema": {"const": SCHEMA_NAME},
        "schema_version": {"const": SCHEMA_VERSION},
        "kind": {"const": kind},
        "infertime_version": {"type": "string"},
        "created_utc": {"type": "string", "description": "ISO 8601, UTC"},
    }
    extra = json_schema(fmt.derived_type)
    defs.update(extra.pop("$defs", {}))
    derived = {
        k: {**v, "description": "derived for readers; ignored on load"}
        for k, v in extra.get("properties", {}).items()
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"infertime {kind} result, schema version {SCHEMA_VERSION}",
        "type": "object",
        "properties": {**header, **properties, **derived},
        "required": [*HEADER_KEYS, *required],
        "$defs": defs,
    }


def save_json(result: Any, path: str | os.PathLike[str]) -> Path:
    """Write atomically: a temporary file in the same folder, flushed, then renamed over `path`
    (a symbolic link's target, not the link; a device or pipe is written in place)."""
    if not hasattr(result, "kind") or result.kind not in kind_formats():
        raise TypeError(
            f"save_json() takes a result of one of infertime's kinds "
            f"({', '.join(kind_formats())}), not {type(result).__name__}"
        )
    text = json.dumps(to_document(result), indent=1, allow_nan=False)
    return write_text_atomic(text + "\n", path)


def load_result(path: str | os.PathLike[str]) -> ResultBase:
    """Read a result file written by infertime, of any kind, checking its schema version."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"load_result() takes a path, not {type(path).__name__}")
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ResultFileError(f"no such result file: {p}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ResultFileError(f"cannot read {p}: {exc}") from None
    except RecursionError:
        raise ResultFileError(f"{p} is nested too deeply to be a result file") from None
    except json.JSONDecodeError as exc:
        raise ResultFileError(f"{p} is not valid JSON (line {exc.lineno}): {exc.msg}") from None
    result: ResultBase = from_document(data, str(p))
    return result


# -- reading version-1 files -------------------------------------------------------------------


def settings_from_v1(document: Document) -> Document:
    """A version-1 document with version-2 settings, rebuilt from its settings and environment.

    Version 1 recorded the thread count read after the thread context had closed (wrong for
    throughput and pitfalls); the environment's framework threads were read inside it, so the
    context is rebuilt from the environment. The input dtypes were not recorded (left empty).
    """
    old = document["settings"]
    env = document.get("environment") or {}
    mode = env.get("mode") or {}
    framework = env.get("framework") or {}
    threads = framework.get("threads", old.get("threads"))
    if "item_shapes" in old:
        items = old["item_shapes"]
    else:
        items = [list(s)[1:] for s in old["input_shapes"]]
    settings = {
        "workload": {
            "model": old["model"],
            "batch_size": old.get("batch_size"),
            "input_shape": None,
            "dtype": old["dtype"],
            "autocast": "autocast" in str(old.get("dtype_label", "")),
            "channels_last": old["channels_last"],
            "device": old["device"],
            "threads": threads,
            "seed": old["seed"],
        },
        "context": {
            "threads": threads,
            "interop_threads": framework.get("interop_threads", 1),
            "grad_enabled": bool(mode.get("grad_enabled", False)),
            "inference_mode": bool(mode.get("inference_mode", True)),
            "model_training": bool(mode.get("model_training") or False),
            "current_device": old["device"],
            "gc_enabled": not old["measure"]["timing"].get("disable_gc", True),
        },
        "inputs": {"item_shapes": items, "dtypes": [], "source": old["input_source"]},
        "timer": old["timer"],
        "method": old["measure"],
    }
    return {**document, "settings": settings}


def unchanged(document: Document) -> Document:
    """An upgrade for kinds whose fields did not change in that version."""
    return document


def stop_rule_from_v2(document: Document) -> Document:
    """Version 2 (and 1) stopped sampling at the first check that met the precision."""
    settings = document["settings"]
    method = settings["method"]
    stop = {"consecutive_passes": 1, **method["stop"]}
    return {**document, "settings": {**settings, "method": {**method, "stop": stop}}}


def budget_from_v2(budget: dict[str, Any] | None) -> dict[str, Any] | None:
    """Versions 1 and 2 said `exact` where version 3 gives the bound's confidence: a p99 from
    662 samples or more was a point estimate (no confidence); below that, the upper end of a
    two-sided 95 % CI (one-sided 97.5 %) or the largest sample (1 - 0.99^n)."""
    if budget is None:
        return None
    old = dict(budget)
    exact = old.pop("exact", True)
    confidence = None
    if old.get("stat") == "p99" and not exact:
        n = int(old.get("samples", 0))
        largest = "largest of" in str(old.get("message", ""))
        confidence = 1 - 0.99**n if largest else 0.975
    return {**old, "confidence": confidence}
