"""Result files: round trip, atomic writes, clear errors on bad files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from infertime import resultfile as json_io
from infertime.devices import fake
from infertime.devices.fake import FakeDevice
from infertime.engine.latency import measure_figures
from infertime.errors import ResultFileError
from infertime.latency.result import LatencyResult
from infertime.policies import MeasureConfig
from infertime.resultfile import SCHEMA_VERSION
from result_parts import fake_settings


def make_result() -> LatencyResult:
    dev = FakeDevice(fake.noisy(fake.constant(1e-6, 1e-3), cv=0.05, seed=4))
    cfg = MeasureConfig()
    run = measure_figures(dev.make_call(), dev, cfg)
    return LatencyResult(
        settings=fake_settings(device=dev.name, method=cfg),
        warmup=run.warmup,
        figures=run.figures,
        timer_overhead_s=run.timer_overhead_s,
        memory=run.memory,
        environment={"x": 1},
    )


def test_round_trip_keeps_raw_samples_and_recomputes_statistics(tmp_path: Path) -> None:
    r = make_result()
    path = json_io.save_json(r, tmp_path / "r.json")
    back = json_io.load_result(path)
    assert isinstance(back, LatencyResult)
    assert back.latency.samples_s == r.latency.samples_s
    assert back.device_time.stop == r.device_time.stop
    assert back.latency.summary == r.latency.summary
    assert back.throughput_items_per_s == pytest.approx(r.throughput_items_per_s)
    data = json.loads(path.read_text())
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["statistics"]["latency"]["n"] == r.latency.summary.n
    assert back.settings == r.settings and back.settings.method == MeasureConfig()


def test_a_failed_write_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "r.json"

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(ResultFileError, match="No space left"):
        json_io.save_json(make_result(), target)
    assert list(tmp_path.iterdir()) == []


def test_existing_file_is_replaced_whole(tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    target.write_text("old")
    json_io.save_json(make_result(), target)
    assert json.loads(target.read_text())["kind"] == "latency"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not valid JSON"),
        ('{"a": 1}', "not an infertime result"),
        ('{"schema": "infertime.result", "schema_version": 99, "kind": "latency"}', "upgrade"),
        ('{"schema": "infertime.result", "schema_version": 1, "kind": "weird"}', "unknown result"),
        ('{"schema": "infertime.result", "schema_version": 1, "kind": "latency"}', "damaged"),
        ('{"schema": "infertime.result", "schema_version": 2, "kind": "latency"}', "damaged"),
        ('{"schema": "infertime.result", "schema_version": "1", "kind": "latency"}', "invalid"),
    ],
)
def test_bad_files_get_one_clear_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ResultFileError) as info:
        json_io.load_result(path)
    assert message in info.value.one_line()


def test_unwritable_destination_is_refused_before_measuring(tmp_path: Path) -> None:
    with pytest.raises(ResultFileError, match="does not exist"):
        json_io.check_writable(tmp_path / "missing" / "r.json")
    with pytest.raises(ResultFileError, match="directory"):
        json_io.check_writable(tmp_path)


def test_sigterm_during_the_write_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from infertime.errors import Terminated

    def terminated(fd: int) -> None:
        raise Terminated()

    monkeypatch.setattr(os, "fsync", terminated)
    with pytest.raises(Terminated):
        json_io.save_json(make_result(), tmp_path / "r.json")
    assert list(tmp_path.iterdir()) == []


def test_an_existing_non_regular_file_is_refused(tmp_path: Path) -> None:
    import socket

    path = tmp_path / "s.sock"
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(path))
        with pytest.raises(ResultFileError, match="not a regular file"):
            json_io.check_writable(path)
