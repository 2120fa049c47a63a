"""Offline comparisons: saved results of one kind, side by side, with ratios and their CIs.

What is compared per kind (seconds per call or per item, so ratios are time ratios):
- latency: the chosen figure (latency or device time per call); every process's samples
  where the file was measured with --processes;
- throughput: time per item at each result's own peak batch (the inverse of peak throughput);
- pitfalls: the correct method's latency per call.
Results whose numbers mean different things (per-call times at different batch sizes or input
shapes) are refused unless allowed; environment differences are listed either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from .. import kinds
from ..errors import ConfigError
from ..policies import ComparePolicy
from ..records import ResultBase
from ..resultfile import load_result
from ..specs.text import spec_name
from .checks import check_compare
from .configs import distinct_names
from .measure_common import different_batches
from .result import Arm, CompareAnalysis, CompareResult

# Keys of the environment that do not describe the machine's set-up (they change every run).
VOLATILE = ("load_average", "temperature", "clock", "power", "utilization", "used", "free")


def load_items(items: Sequence[Any]) -> list[tuple[str, ResultBase]]:
    """(name, result) for each path or result object."""
    out: list[tuple[str, ResultBase]] = []
    for item in items:
        if isinstance(item, ResultBase):
            out.append((_describe(item), item))
        else:
            path = Path(item)
            out.append((str(path), load_result(path)))
    names = distinct_names([name for name, _ in out])
    return [(name, r) for name, (_, r) in zip(names, out, strict=True)]


def _describe(r: ResultBase) -> str:
    return spec_name(r.settings.workload)


def compare_files(
    items: Sequence[Any], policy: ComparePolicy, allow_different: bool = False
) -> CompareResult:
    """Saved results compared: the first is the baseline."""
    if len(items) < 2:
        raise ConfigError("compare needs at least two results (the first is the baseline)")
    loaded = load_items(items)
    found = {str(getattr(r, "kind", "?")) for _, r in loaded}
    if len(found) > 1:
        raise ConfigError(
            f"cannot compare results of different kinds ({', '.join(sorted(found))})",
            advice="compare latency with latency, throughput with throughput",
        )
    kind = kinds.get(found.pop())
    if kind.offline is None:
        raise ConfigError(
            f"a {kind.name} result cannot be compared offline"
            + ("; a comparison's file cannot be compared again: compare its sources"
               if kind.name == "compare" else "")
        )  # fmt: skip
    if not allow_different and kind.offline.per_call:
        refuse_incompatible(loaded)
    arms = tuple(arm_of(name, r, policy.figure) for name, r in loaded)
    base = loaded[0][1]
    result = CompareResult(
        settings=base.settings,
        environment=base.environment,
        mode="files",
        figure=kind.offline.figure_name(policy.figure),
        arms=arms,
        policy=replace(policy, copies=1),  # nothing was built: the files were measured
        per_item=kind.offline.per_call and different_batches(arms),
        analysis=CompareAnalysis(environment_differences=environment_differences(loaded)),
    )
    return result.with_diagnostics(tuple(check_compare(result)))


def arm_of(name: str, r: Any, figure: str) -> Arm:
    """The arm of a saved result, as its kind says to read it (kinds/base.py OfflineArm)."""
    kind = kinds.of(r)
    if kind.offline is None:
        raise ConfigError(f"results of kind {kind.name} cannot be compared offline")
    saved = kind.offline.samples(name, r, figure)
    return Arm(
        name=name,
        settings=r.settings,
        source=name,
        environment=r.environment,
        groups=saved.groups,
        calls_per_sample=saved.calls_per_sample,
        verdict=saved.verdict,
    )


def refuse_incompatible(loaded: list[tuple[str, ResultBase]]) -> None:
    """Per-call times at different batch sizes or input shapes are different quantities."""
    base_name, base = loaded[0]
    for name, r in loaded[1:]:
        shapes = base.settings.inputs.item_shapes, r.settings.inputs.item_shapes
        for what, a, b in (
            ("batch size", base.settings.batch_size, r.settings.batch_size),
            ("input shape per item", *shapes),
        ):
            if a != b:
                raise ConfigError(
                    f"{name} has {what} {b}, {base_name} has {a}: their times per call measure "
                    "different work",
                    advice="pass --allow-different to compare them anyway (per item where the "
                    "batch sizes differ)",
                )


def environment_differences(loaded: list[tuple[str, ResultBase]]) -> dict[str, list[Any]]:
    """Set-up keys of the environment (flattened) whose values differ between the results."""
    flat = [_flatten(r.environment) for _, r in loaded]
    flat = [
        {**f, "context.threads": r.settings.context.threads}
        for f, (_, r) in zip(flat, loaded, strict=True)
    ]
    keys = sorted(set().union(*flat))
    return {
        k: [f.get(k) for f in flat]
        for k in keys
        if not any(v in k for v in VOLATILE) and len({repr(f.get(k)) for f in flat}) > 1
    }


def _flatten(obj: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(obj, dict):
        return {prefix: obj}
    out: dict[str, Any] = {}
    for k, v in obj.items():
        out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    return out
