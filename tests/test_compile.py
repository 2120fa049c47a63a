"""--backend compile (torch.compile) on the CPU: compile time apart, recompiles caught, a compile
per batch size in a throughput sweep, compiled configurations compared side by side, bad flags.

All but one test compile with dynamo's "eager" backend (graph capture, guards and recompiles
as usual, no code generation), which takes milliseconds instead of inductor's seconds."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from torch import nn

import infertime
from infertime.cli.app import main
from infertime.comparison.configs import parse_config
from infertime.errors import ConfigError, RecompileError
from infertime.workload.spec import WorkloadSpec

TINY = "models_for_tests:tiny_cnn"
FAST = {"device": "cpu", "threads": 1, "preset": "quick", "max_time_s": 0.2}


@pytest.fixture
def dynamo_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(torch, "compile", functools.partial(torch.compile, backend="eager"))
    yield
    torch._dynamo.reset()  # type: ignore[no-untyped-call]


class CountsCalls(nn.Module):
    """Control flow that depends on how often it was called: every call recompiles."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0
        self.lin = nn.Linear(8, 8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return self.lin(x) * self.calls


def test_compile_time_is_its_own_figure(capsys: pytest.CaptureFixture[str]) -> None:
    """The one test with inductor: what users run."""
    fast = ["--device", "cpu", "--threads", "1", "--preset", "quick", "--max-time", "0.2"]
    code = main(["run", TINY, "--backend", "compile", *fast])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "· compile ·" in out.splitlines()[0]
    assert "compile " in out and "first call, compiling; not in the figures" in out


def test_a_recompile_during_timing_stops_the_run(dynamo_only: None) -> None:
    with pytest.raises(RecompileError, match="recompiled during warm-up or timing"):
        infertime.measure_latency(CountsCalls(), torch.randn(1, 8), backend="compile", **FAST)  # type: ignore[arg-type]
    import torch._dynamo.config as dynamo_config

    assert not dynamo_config.error_on_recompile  # the check ends with the measurement


def test_latency_records_how_it_compiled(dynamo_only: None) -> None:
    r = infertime.measure_latency(TINY, backend="compile", compile_mode="reduce-overhead", **FAST)  # type: ignore[arg-type]
    built = r.analysis.backend
    assert built.backend == "compile" and built.mode == "reduce-overhead"
    assert built.compile_s > 0 and built.batch == 2
    assert r.settings.workload.backend == "compile"


@pytest.mark.parametrize("dynamic", [False, True])
def test_a_throughput_sweep_compiles_per_batch_or_once(dynamo_only: None, dynamic: bool) -> None:
    r = infertime.measure_throughput(
        TINY,
        backend="compile",
        dynamic=dynamic,
        max_batch=8,
        **FAST,  # type: ignore[arg-type]
    )
    builds = r.analysis.backend_builds
    assert len({b.batch for b in builds}) >= 3  # several batch sizes, none recompiled in timing
    fresh = [b for b in builds if b.fresh_compile]
    assert len(fresh) == (1 if dynamic else len(builds))
    import torch._dynamo.config as dynamo_config

    assert not dynamo_config.error_on_recompile  # calls dropped, not closed: the check is off
    from infertime.throughput.render import describe, detail_lines

    assert "· compile" in describe(r) and any("compiles (outside" in x for x in detail_lines(r))


def test_the_users_own_recompile_setting_is_kept(dynamo_only: None) -> None:
    import torch._dynamo.config as dynamo_config

    dynamo_config.error_on_recompile = True
    try:
        infertime.measure_latency(TINY, backend="compile", **FAST)  # type: ignore[arg-type]
        assert dynamo_config.error_on_recompile
    finally:
        dynamo_config.error_on_recompile = False


def test_compiled_configurations_compare_side_by_side(dynamo_only: None) -> None:
    r = infertime.compare(TINY, f"{TINY} --backend compile", device="cpu", threads=1, max_time_s=1)
    assert r.arms[1].settings.workload.backend == "compile" and r.policy.copies == 2
    builds = r.analysis.backend_builds  # one per call, in build order A B B A
    assert [b is not None for b in builds] == [False, True, True, False]
    from infertime.comparison.render import detail_lines

    assert sum("first call, compiling" in line for line in detail_lines(r)) == 1  # B only
    spec = WorkloadSpec(model=TINY, backend="compile", compile_mode="max-autotune", dynamic=True)
    from infertime.comparison.configs import spec_name

    assert spec_name(spec).endswith("--backend compile --compile-mode max-autotune --dynamic")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--dynamic"], "--dynamic applies to --backend compile"),
        (["--compile-mode", "max-autotune"], "--compile-mode applies to --backend compile"),
        (["--backend", "compile", "--compile-mode", "fast"], "must be one of default"),
        (["--backend", "tensorrt"], "--backend must be one of eager, compile"),
        (["--backend", "compile", "--graph-replay"], "--graph-replay replays the eager model"),
    ],
)
def test_flags_that_do_not_fit_the_backend_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], words: str, tmp_path: Path
) -> None:
    assert main(["run", TINY, *args, "--device", "cpu", "--json", str(tmp_path / "r.json")]) == 2
    err = capsys.readouterr().err
    assert words in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "r.json").exists()


def test_backend_in_specs_and_configurations() -> None:
    with pytest.raises(ConfigError, match="is now --backend cuda-graph"):
        parse_config(f"{TINY} --backend compile --cuda-graph")
    with pytest.raises(ConfigError, match="--backend is given twice"):
        parse_config(f"{TINY} --backend compile --backend cuda-graph")
    c = parse_config(f"{TINY} --backend compile --compile-mode max-autotune --dynamic")
    assert (c.spec.backend, c.spec.compile_mode, c.spec.dynamic) == (
        "compile",
        "max-autotune",
        True,
    )
    with pytest.raises(ConfigError):
        WorkloadSpec(dynamic=True)
