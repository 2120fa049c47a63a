"""`compare --processes N` of generate configurations: each configuration measured N times in
fresh processes (infertime generate's child task, device path only), alternating: the order
of the configurations is reversed every other pass (A B, B A, ...), so that a slow spell of
the host falls on both alike. Each process is one group of per-call samples of the figure;
ratios are compare's "processes" mode (paired by pass, between-process spread in the CI)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from ..comparison.configs import Config
from ..comparison.measure import processes_result
from ..comparison.result import Arm, CompareResult
from ..devices.base import Device
from ..energy.policy import EnergyPolicy
from ..engine.progress import ProgressSink, no_progress
from ..pipeline.measurement import child_spec
from ..policies import ComparePolicy, MeasureConfig
from . import figures as fig
from .options import own_options, workload_of
from .spec import GenerationSpec

KEY = {"ttft": "ttft_s", "tpot": "tpot_s", "e2e": "e2e_s"}


def compare_generation_in_processes(
    configs: Sequence[Config],
    specs: Sequence[GenerationSpec],
    device: Device,
    method: MeasureConfig,
    policy: ComparePolicy,
    processes: int,
    *,
    energy: EnergyPolicy | None = None,
    per_item: bool = False,
    progress: ProgressSink = no_progress,
) -> CompareResult:
    """Each generate configuration in `processes` alternating fresh processes (module doc);
    with `energy`, each one's last process measures its J per sequence and per token."""
    from ..execution.repeat import measure_in_processes

    t_start = time.perf_counter()
    runs: list[list[Any]] = [[] for _ in configs]
    for p in range(processes):
        order = range(len(configs)) if p % 2 == 0 else reversed(range(len(configs)))
        for i in order:
            spec = specs[i]
            last = p == processes - 1 and energy is not None
            (measured,) = measure_in_processes(
                "generate",
                child_spec(workload_of(spec, configs[i].spec.threads), device,
                           configs[i].spec.threads),
                method,
                1,
                options={
                    **own_options(spec),
                    "caller": False,
                    "diagnose": False,
                    **({"energy": asdict(energy)} if last and energy else {}),
                },
                progress=lambda phase, fraction, text, p=p: progress(
                    "fresh processes", (p + (fraction or 0)) / processes, f"pass {p + 1}: {text}"
                ),
            )  # fmt: skip
            runs[i].append(measured)
    key = KEY[policy.figure]
    arms = tuple(
        Arm(
            name=c.name,
            settings=rs[0].settings,
            groups=tuple(tuple(fig.device_figures(r.run)[key].values) for r in rs),
            calls_per_sample=1,
            warmup=rs[0].run.warmup,
            memory=rs[0].run.memory,
        )
        for c, rs in zip(configs, runs, strict=True)
    )
    return processes_result(
        configs, arms, runs, policy, t_start, why=None, energy=energy, per_item=per_item
    )
