"""Result files for the fault matrix, good and damaged: one latency result measured once per
session (a tiny model, a fraction of a second), one live comparison, one offline comparison,
and the review's `fx/` variants derived from them by editing their JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Doc = dict[str, Any]


def _samples(doc: Doc) -> list[float]:
    samples: list[float] = doc["figures"]["latency"]["samples_s"]
    return samples


def _set_samples(doc: Doc, values: list[Any]) -> Doc:
    doc["figures"]["latency"]["samples_s"] = values
    doc["figures"]["latency"]["sample_end_offsets_s"] = [
        0.001 * (i + 1) for i in range(len(values))
    ]
    return doc


def _scaled(factor: float) -> Callable[[Doc], Doc]:
    return lambda d: _set_samples(d, [x * factor for x in _samples(d)])


def _processes(doc: Doc, figures: list[dict[str, Any]]) -> Doc:
    runs = [{"figures": f, "warmup": doc["warmup"], "wall_s": 1.0} for f in figures]
    doc["processes"] = runs
    return doc


def _two_processes(doc: Doc) -> Doc:
    series = doc["figures"]["latency"]
    slower = {**series, "samples_s": [x * 1.01 for x in series["samples_s"]]}
    return _processes(doc, [{"latency": series}, {"latency": slower}])


def _one_without_figure(doc: Doc) -> Doc:
    return _processes(doc, [{"latency": doc["figures"]["latency"]}, {}])


def _set(path: str, value: Any) -> Callable[[Doc], Doc]:
    """Set (or with value=KeyError, delete) a dotted key."""

    def edit(doc: Doc) -> Doc:
        *parents, last = path.split(".")
        node: Any = doc
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        if value is KeyError:
            del node[last]
        elif isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
        return doc

    return edit


# name -> an edit of the good latency document (a dict), or the file's text from the good
# file's text, or bytes
LATENCY_VARIANTS: dict[str, Callable[[Doc], Any]] = {
    "other": lambda d: {"hello": "world"},
    "list": lambda d: [1, 2, 3],
    "future": _set("schema_version", 99),
    "strversion": _set("schema_version", "1"),
    "v0": _set("schema_version", 0),
    "schema_name": _set("schema", "something.else"),
    "kind": _set("kind", "banana"),
    "kind_tp": _set("kind", "throughput"),
    "nofig": _set("figures", KeyError),
    "emptysamples": lambda d: _set_samples(d, []),
    "envstr": _set("environment", "linux"),
    "negsamples": lambda d: _set_samples(d, [-1.0, *_samples(d)[1:]]),
    "zeros": lambda d: _set_samples(d, [0.0] * len(_samples(d))),
    "hugevals": lambda d: _set_samples(d, [1e300] * len(_samples(d))),
    "tiny": lambda d: _set_samples(d, [1e-300 * (1 + i % 3) for i in range(len(_samples(d)))]),
    "strsamples": lambda d: _set_samples(d, [str(x) for x in _samples(d)]),
    "nullsample": lambda d: _set_samples(d, [*_samples(d)[:3], None, *_samples(d)[4:]]),
    "nan_literal": lambda d: _set_samples(d, [float("nan"), *_samples(d)[1:]]),
    "inf_literal": lambda d: _set_samples(d, [float("inf"), *_samples(d)[1:]]),
    "cps0": _set("figures.latency.calls_per_sample", 0),
    "cpsneg": _set("figures.latency.calls_per_sample", -3),
    "onesample": lambda d: _set_samples(d, _samples(d)[:1]),
    "x1p5": _scaled(1.5),
    "x1000": _scaled(1000.0),
    "batch2": _set("settings.workload.batch_size", 2),
    "p2": _two_processes,
    "p_empty": _set("processes", []),
    "p_missingfig": _one_without_figure,
}
TEXT_VARIANTS: dict[str, Callable[[str], str | bytes]] = {
    "empty": lambda t: "",
    "trunc": lambda t: t[: len(t) // 2],
    "binary": lambda t: b"\xff\xfe\x00garbage",
    "deep": lambda t: "[" * 100_000 + "]" * 100_000,
}


def _drifting(shape: Callable[[float], float]) -> Callable[[Doc], Doc]:
    """24 rounds of the baseline's real samples, the other configuration's samples those times
    shape(t), t from 0 (first round) to 1 (last): its time ratio follows the shape exactly."""

    def edit(doc: Doc) -> Doc:
        base, other = doc["arms"]
        rounds = 24
        groups = [base["groups"][r % len(base["groups"])] for r in range(rounds)]
        base["groups"] = groups
        other["groups"] = [[x * shape(r / (rounds - 1)) for x in g] for r, g in enumerate(groups)]
        other["calls_per_sample"] = base["calls_per_sample"]
        doc["orders"] = [doc["orders"][r % len(doc["orders"])] for r in range(rounds)]
        doc["diagnostics"] = []
        return doc

    return edit


# edits of the live (interleaved) comparison's document
COMPARE_VARIANTS: dict[str, Callable[[Doc], Doc]] = {
    "cmp_emptygroups": _set("arms.1.groups", []),
    "cmp_shortgroup": lambda d: _set("arms.1.groups", d["arms"][1]["groups"][:-1])(d),
    "cmp_orders": _set("orders", "garbage"),
    # a configuration 2x slower and steady, or drifting by 20 % over the run: evenly, or
    # growing as a compound rate does (the review's 'grows 10 %/s')
    "cmp_steady": _drifting(lambda t: 2.0),
    "cmp_drift_linear": _drifting(lambda t: 2.0 * (1 + 0.2 * t)),
    "cmp_drift_compound": _drifting(lambda t: 2.0 * 1.2**t),
    "cmp_fakeratio": lambda d: {
        **d,
        "ratios": [{**r, "time_ratio": 42.0, "time_ratio_ci": [41.0, 43.0]} for r in d["ratios"]],
    },
}


class ResultFiles:
    """The good files and every variant, written on first use into one session folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._made: dict[str, Path] = {}

    def __getitem__(self, name: str) -> Path:
        if name not in self._made:
            self._made[name] = self._make(name)
        return self._made[name]

    def _make(self, name: str) -> Path:
        import infertime

        path = self.folder / f"{name}.json"
        if name == "good":
            r = infertime.measure_latency(
                "fault_models:build", device="cpu", preset="quick", max_time_s=0.3
            )
            infertime.save_json(r, path)
        elif name == "cmp":  # offline, of two single-process files
            infertime.save_json(infertime.compare(self["good"], self["x1p5"]), path)
        elif name == "live":  # interleaved, one copy each: the fewest calls that make one
            c = infertime.compare(
                "fault_models:build", "fault_models:build_b",
                device="cpu", preset="quick", max_time_s=0.3, copies=1,
            )  # fmt: skip
            infertime.save_json(c, path)
        elif name == "tp":
            t = infertime.measure_throughput(
                "fault_models:build", device="cpu", preset="quick", max_time_s=0.2, max_batch=2
            )
            infertime.save_json(t, path)
        elif name in LATENCY_VARIANTS:
            doc = json.loads(self["good"].read_text())
            path.write_text(json.dumps(LATENCY_VARIANTS[name](doc), indent=1))
        elif name in COMPARE_VARIANTS:
            doc = json.loads(self["live"].read_text())
            path.write_text(json.dumps(COMPARE_VARIANTS[name](doc), indent=1))
        elif name in TEXT_VARIANTS:
            data = TEXT_VARIANTS[name](self["good"].read_text())
            if isinstance(data, bytes):
                path.write_bytes(data)
            else:
                path.write_text(data)
        else:
            raise KeyError(name)
        return path


@pytest.fixture(scope="session")
def files(tmp_path_factory: pytest.TempPathFactory) -> ResultFiles:
    return ResultFiles(tmp_path_factory.mktemp("fault-files"))
