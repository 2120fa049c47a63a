"""Result files across versions: files written by 0.1.0 still load and render the same
figures, every kind round-trips, and what is written matches the published JSON Schema."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from rich.console import Console

from infertime import resultfile
from infertime.errors import ResultFileError
from infertime.reporting.show import render_result
from infertime.schema import schema_text

ROOT = Path(__file__).parent.parent
RAW = ROOT / "docs" / "validation" / "raw"
GOLDEN = Path(__file__).parent / "golden"
SCHEMAS = ROOT / "docs" / "schema"


def is_result_file(path: Path) -> bool:
    data = json.loads(path.read_text())
    return isinstance(data, dict) and data.get("schema") == "infertime.result"


def rendered(result: Any) -> str:
    out = io.StringIO()
    render_result(result, Console(file=out, width=160))
    return out.getvalue()


RESULT_FILES = sorted(p for p in [*RAW.glob("*.json"), *GOLDEN.glob("*.json")] if is_result_file(p))


def test_the_result_files_of_every_version_are_all_found() -> None:
    names = {p.name for p in RESULT_FILES}
    assert {"run_default_quick_smoke.json", "throughput_fp32_final_cli.json"} <= names
    for version in (1, 2, 3):
        for kind in ("latency", "throughput", "pitfalls"):
            assert f"v{version}_{kind}_cpu.json" in names
    assert {"v4_compare_cpu.json", "v4_latency_processes_cpu.json", "v5_compare_cpu.json"} <= names


@pytest.mark.parametrize("path", RESULT_FILES, ids=lambda p: p.name)
def test_result_files_load_and_render_the_figures_they_hold(path: Path) -> None:
    """Every file infertime wrote, 0.1.0's included, reads back to the figures it states."""
    old = json.loads(path.read_text())
    result = resultfile.load_result(path)
    assert rendered(result) and result.settings.model in rendered(result)
    if old["kind"] == "latency":
        for figure, stats in old["statistics"].items():
            assert result.figures[figure].summary.median == pytest.approx(stats["median_s"])
        assert result.throughput_items_per_s == pytest.approx(old["throughput"]["items_per_s"])
    elif old["kind"] == "throughput":
        assert result.peak_batch == old["choices"]["peak"]["batch"]
        peak = result.point(result.peak_batch).items_per_s
        assert peak == pytest.approx(old["choices"]["peak"]["items_per_s"])
        assert result.max_fit_batch == old["search"]["max_fit"]
    elif old["kind"] == "compare":
        for i, ratio in enumerate(old["ratios"], start=1):
            new = result.ratio(i)
            assert new.value == pytest.approx(ratio["time_ratio"])
            # Today's CIs hold the copies' spread too: never narrower than the file's.
            old_ci = ratio["time_ratio_ci"]
            if old_ci is not None:
                assert new.ci is not None
                assert new.ci[0] <= old_ci[0] * (1 + 1e-9) and new.ci[1] >= old_ci[1] * (1 - 1e-9)
            # Today's verdict needs the precision target too: it may be undecided where the
            # file claimed a direction, never the opposite direction.
            was = next((w for w in ("faster", "slower") if w in ratio["verdict"]), None)
            assert result.decision(i).kind in ({was, "undecided"} if was else {"same", "undecided"})
    elif old["kind"] == "generate":
        for run, derived in zip(result.runs, old["by_batch"], strict=True):
            assert run.spec.batch_size == derived["batch_size"]
            ttft = derived["device_path"]["ttft_s"]["median"]
            assert result.device_figures(run.spec.batch_size)["ttft_s"].median == pytest.approx(
                ttft
            )
    else:
        assert result.reference_s == pytest.approx(old["reference_s"])
    assert result.settings.context.threads == old["environment"]["framework"]["threads"]
    if old["kind"] == "latency" and old.get("processes"):
        over = old["across_processes"]["latency"]
        assert result.across("latency").typical == pytest.approx(over["typical_s"])
    if old["schema_version"] == 1:  # the version-1 settings, rebuilt
        settings = old["settings"]
        assert result.settings.model == settings["model"]
        assert result.settings.dtype_label == settings["dtype_label"]
        if "input_shapes" in settings:
            shapes = tuple(map(tuple, settings["input_shapes"]))
            assert result.settings.input_shapes == shapes
        else:
            assert result.policy.isolate == settings["isolate"]
    # From version 2 on, every field reads back as written; derived sections are recomputed
    # by the current code, and settings are rebuilt by the upgrades from older versions.
    derived = set(resultfile.kind_formats()[old["kind"]].derived(result))
    again = resultfile.to_document(result)
    rewritten = ("schema_version", "settings", "budget")  # upgrades rebuild these
    same = {k for k in old if k not in derived and k not in rewritten}
    if old["schema_version"] >= 2:
        assert written_as({k: old[k] for k in same}, {k: again[k] for k in same})
    if old["schema_version"] == resultfile.SCHEMA_VERSION:
        assert again["settings"] == old["settings"] and again.get("budget") == old.get("budget")
    # Loaded files are written in the current form, which matches the published schema.
    jsonschema.validate(resultfile.to_document(result), json.loads(schema_text(old["kind"])))


def written_as(old: Any, new: Any) -> bool:
    """Every value in `old` is in `new` unchanged (fields added since may have defaults)."""
    if isinstance(old, dict):
        return isinstance(new, dict) and all(
            k in new and written_as(v, new[k]) for k, v in old.items()
        )
    if isinstance(old, list):
        return isinstance(new, list) and len(old) == len(new) and all(map(written_as, old, new))
    return bool(old == new)


OTHER_FILES = sorted(p for p in RAW.glob("*.json") if not is_result_file(p))


@pytest.mark.parametrize("path", OTHER_FILES, ids=lambda p: p.name)
def test_other_files_in_the_validation_folder_are_refused_clearly(path: Path) -> None:
    """Benchmark outputs (not results) in the same folder get one clear error."""
    with pytest.raises(ResultFileError, match="not an infertime result file"):
        resultfile.load_result(path)


@pytest.mark.parametrize("kind", ["latency", "throughput", "pitfalls", "compare", "generate"])
def test_published_schemas_are_current(kind: str) -> None:
    published = (SCHEMAS / f"{kind}.schema.json").read_text()
    assert published == schema_text(kind), "regenerate with: python -m infertime.schema docs/schema"


@pytest.mark.parametrize("name", ["v1_latency_cpu", "v1_throughput_cpu", "v1_pitfalls_cpu"])
def test_every_kind_round_trips_through_the_current_format(tmp_path: Path, name: str) -> None:
    result = resultfile.load_result(GOLDEN / f"{name}.json")
    path = resultfile.save_json(result, tmp_path / "again.json")
    again = resultfile.load_result(path)
    assert again == result
    data = json.loads(path.read_text())
    assert data["schema_version"] == resultfile.SCHEMA_VERSION
    jsonschema.validate(data, json.loads(schema_text(data["kind"])))
    assert rendered(again) == rendered(result)


def test_a_damaged_field_is_named(tmp_path: Path) -> None:
    data = resultfile.to_document(resultfile.load_result(GOLDEN / "v1_latency_cpu.json"))
    data["figures"]["latency"]["samples_s"] = "fast"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ResultFileError, match=r"damaged.*figures\.latency\.samples_s"):
        resultfile.load_result(path)
    data["settings"]["workload"]["dtype"] = "fp64"
    path.write_text(json.dumps(data))
    with pytest.raises(ResultFileError, match="damaged"):
        resultfile.load_result(path)
