"""Validate energy per inference on one GPU (issue 25), with infertime.energy's probe.

Measures, in one process: the NVML total-energy counter's update period (its distribution), the
idle baseline, ResNet-50 at batch 256 (target: J/call CI half-width <= 2 % within 30 s of
windows), the counter against integrated NVML power from the GPU monitor (target: within 5 %),
EfficientNet-B0 fp32 energy per item across batches with the energy-optimal batch beside the
throughput peak, and the count of windows that read 0 J (target: 0). Timm models, random
weights. Writes energy_gpu.json (every section whole) and energy_gpu.md (tables, targets).
Each configuration goes through the pipeline's energy pass (pipeline/energy.py: the NVML watch
and the cross-check around the probe), as `--energy` does. With --pipeline it also measures
through the public API, as a user would: `run` of ResNet-50 and `throughput` of EfficientNet-B0
with energy=True (their result files are written beside the report), so the energy-optimal
batch is set beside the throughput kind's own peak.

    PYTHONPATH=src python benchmarks/energy_gpu.py --check-sharing --out docs/validation
    PYTHONPATH=src python benchmarks/energy_gpu.py --pipeline --out docs/validation
    PYTHONPATH=src python benchmarks/energy_gpu.py --device cpu --tiny --out /tmp/energy

On a CPU without readable RAPL counters it says energy is not measured and exits 0. With
--synthetic-counter W it runs every code path on any machine against a made-up counter of
constant power W: a check of the script, not a measurement.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch

from infertime import serialization
from infertime.devices import CpuDevice
from infertime.devices.base import Device
from infertime.energy.counter import CounterUnavailable, EnergyCounter
from infertime.energy.curve import energy_curve
from infertime.energy.policy import EnergyPolicy
from infertime.energy.probe import EnergyProbe, open_counter
from infertime.energy.records import EnergyCurve, EnergySection, Finding
from infertime.pipeline.energy import EnergyTarget, energy_pass
from infertime.telemetry.environment import torch_state
from infertime.telemetry.nvml import snapshot

CI_TARGET = 0.02
WINDOWS_BUDGET_S = 30.0
CROSS_CHECK_TOLERANCE = 0.05


class SyntheticCounter:
    """Constant power on the host clock, in 10-ms steps: exercises the code paths only."""

    source = "synthetic"
    scope = "nothing: a made-up counter"
    wraps_j: tuple[float | None, ...] = (None,)

    def __init__(self, power_w: float) -> None:
        self.power_w = power_w
        self.description = f"synthetic counter, constant {power_w:g} W (not a measurement)"

    def read_j(self) -> tuple[float, ...]:
        return (math.floor(time.perf_counter() / 0.01) * 0.01 * self.power_w,)

    def scope_findings(self) -> tuple[Finding, ...]:
        return ()


def build(
    name: str, batch: int, dtype: torch.dtype, channels_last: bool, device: str, tiny: bool
) -> Callable[[], Any]:
    """One call of the model on random inputs, as the engine would time it."""
    model: torch.nn.Module
    if tiny:  # a stand-in small enough for a CPU smoke run
        model = tiny_model()
        shape = (batch, 3, 32, 32)
    else:
        import timm

        model = timm.create_model(name, pretrained=False)
        shape = (batch, 3, 224, 224)
    model = model.eval().to(device=device, dtype=dtype)
    x = torch.randn(shape, device=device, dtype=dtype)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
        x = x.contiguous(memory_format=torch.channels_last)

    def call() -> Any:
        return model(x)

    return call


def measure(
    probe: EnergyProbe, device: Device, call: Callable[[], Any], batch: int
) -> tuple[EnergySection, float]:
    """Warm up, then the pipeline's energy pass (the GPU monitor running, the cross-check
    after); the section, and the seconds the pass took (lead-in and windows)."""
    for _ in range(10):
        call()
    device.synchronize()
    record = energy_pass(probe, [EnergyTarget(f"batch {batch}", [call], batch)])
    return record.sections[0], record.seconds


SHARER = (
    "import sys, time, torch; torch.zeros(1, device=sys.argv[1]); print('ready', flush=True); "
    "time.sleep(600)"
)


def measure_shared(
    probe: EnergyProbe, device: Device, call: Callable[[], Any], batch: int, where: str
) -> tuple[EnergySection, float]:
    """The same measurement while another process holds a CUDA context on this GPU: the
    section must come back flagged (other processes), never as good."""
    import subprocess

    child = subprocess.Popen([sys.executable, "-c", SHARER, where], stdout=subprocess.PIPE)
    try:
        assert child.stdout is not None
        child.stdout.readline()  # its context exists once it printed
        return measure(probe, device, call, batch)
    finally:
        child.terminate()
        child.wait(timeout=30)


def is_oom(exc: BaseException) -> bool:
    return isinstance(exc, torch.cuda.OutOfMemoryError) or "out of memory" in str(exc)


def row(label: str, s: EnergySection, seconds: float) -> str:
    f = s.figures
    if f is None:
        return f"| {label} | {s.status}: {s.reason} | | | | | | |"
    rel = f.j_per_call.half_width_rel
    above = f.j_per_item_above_idle
    check = s.cross_check.difference_rel if s.cross_check else None
    return (
        f"| {label} | {s.status} | {f.j_per_item.value:.4g} | "
        f"{above.value if above else float('nan'):.4g} | "
        f"{'n/a' if rel is None else f'±{rel:.2%}'} | {f.power_w.value:.1f} | "
        f"{f.items_per_s.value:,.0f} | {f.windows} in {f.seconds:.1f} s ({seconds:.1f} s) | "
        f"{'n/a' if check is None else f'{check:+.2%}'} |"
    )


def report(data: dict[str, Any], sections: dict[str, EnergySection], curve: EnergyCurve) -> str:
    lines = [
        f"# Energy per inference ({data['date']}, {data['device']})",
        "",
        f"Counter: {data['method']['counter']}; scope: {data['method']['scope']}",
    ]
    period = data["method"]["update_period"]
    if period:
        iv = period["intervals_s"]
        lines.append(
            f"Update period: median {sorted(iv)[len(iv) // 2] * 1e3:.1f} ms, "
            f"intervals {', '.join(f'{x * 1e3:.1f}' for x in iv)} ms "
            f"(polled every {period['poll_s'] * 1e3:g} ms)"
        )
    idle = data["method"]["idle"]
    if idle:
        p = idle["power_w"]
        ci = p["ci"] or [float("nan")] * 2
        lines.append(f"Idle: {p['value']:.1f} W [{ci[0]:.1f}, {ci[1]:.1f}] over 5 sub-windows")
    lines += [
        f"Windows: {data['method']['window_rule']}",
        "",
        "| configuration | status | J/item | J/item above idle | J/call CI | W | items/s "
        "| windows (probe time) | integrated power vs counter |",
        "|---|---|---|---|---|---|---|---|---|",
        *(row(label, s, data["seconds"][label]) for label, s in sections.items()),
        "",
        f"Energy curve (EfficientNet-B0 fp32): {curve.verdict}",
        "",
        "| target | result | met |",
        "|---|---|---|",
        *(f"| {t['target']} | {t['result']} | {t['met']} |" for t in data["targets"]),
        "",
    ]
    return "\n".join(lines)


def targets(
    sections: dict[str, EnergySection], resnet: str | None, curve: EnergyCurve
) -> list[dict[str, Any]]:
    shared = [s for k, s in sections.items() if k.endswith("another process on the GPU")]
    windows = [w for s in sections.values() for w in s.windows]
    zero = sum(1 for w in windows if w.energy_j == 0)
    out = [
        {
            "target": "0 windows of 0 J",
            "result": f"{zero} of {len(windows)} windows read 0 J",
            "met": zero == 0 if windows else "n/a (no windows)",
        }
    ]
    if resnet is not None:
        s = sections[resnet]
        rel = s.figures.j_per_call.half_width_rel if s.figures else None
        secs = s.figures.seconds if s.figures else None
        met = rel is not None and secs is not None and rel <= CI_TARGET
        met = met and secs is not None and secs <= WINDOWS_BUDGET_S
        out.append(
            {
                "target": f"{resnet}: J/call CI half-width <= 2 % within {WINDOWS_BUDGET_S:g} s",
                "result": f"{'n/a' if rel is None else f'±{rel:.2%}'} after "
                f"{'n/a' if secs is None else f'{secs:.1f}'} s of windows ({s.status})",
                "met": met,
            }
        )
    checks = {k: s.cross_check.difference_rel for k, s in sections.items() if s.cross_check}
    diffs = [abs(d) for d in checks.values() if d is not None]
    out.append(
        {
            "target": "counter vs integrated power within 5 %",
            "result": f"largest {max(diffs):.2%} over {len(diffs)} configurations"
            if diffs
            else "no cross-check",
            "met": max(diffs) <= CROSS_CHECK_TOLERANCE if diffs else "n/a (no GPU monitor)",
        }
    )
    if shared:
        out.append(
            {
                "target": "another process on the GPU: the figure is flagged",
                "result": f"{shared[0].status}: {shared[0].reason}",
                "met": shared[0].status == "flagged",
            }
        )
    out.append(
        {
            "target": "energy-optimal batch vs throughput peak (EfficientNet-B0 fp32)",
            "result": curve.verdict,
            "met": "reported" if curve.energy_optimal_batch is not None else "n/a",
        }
    )
    return out


def through_api(
    ns: argparse.Namespace, policy: EnergyPolicy, counter: EnergyCounter | CounterUnavailable
) -> dict[str, Any]:
    """`run` of ResNet-50 and `throughput` of EfficientNet-B0 fp32 with energy=True, as a user
    measures them; their result files beside the report; the energy-optimal batch beside the
    throughput kind's own peak."""
    import infertime
    from infertime.pipeline import measurement

    if ns.synthetic_counter is not None:  # a check of the script: the same made-up counter

        def synthetic(device: Device, policy: EnergyPolicy) -> EnergyProbe:
            return EnergyProbe(device, policy, counter=counter)

        setattr(measurement, "open_probe", synthetic)  # noqa: B010 (the pipeline's seam)
    if ns.tiny:
        resnet: Any = tiny_model()
        effnet: Any = tiny_model()
        example: Any = torch.randn(ns.resnet_batch, 3, 32, 32)
        one: Any = torch.randn(1, 3, 32, 32)
    else:
        resnet, effnet, example, one = "timm:resnet50", "timm:efficientnet_b0", None, None
    run = infertime.measure_latency(
        resnet,
        example,
        device=ns.device,
        batch_size=None if ns.tiny else ns.resnet_batch,
        dtype=ns.resnet_dtype,
        channels_last=ns.resnet_dtype != "fp32",
        energy=policy,
    )
    infertime.save_json(run, ns.out / "energy_run_resnet50.json")
    largest = max(int(b) for b in ns.effnet_batches.split(","))
    curve = infertime.measure_throughput(
        effnet, one, device=ns.device, max_batch=largest, energy=policy
    )
    infertime.save_json(curve, ns.out / "energy_throughput_efficientnet_b0.json")
    energy = curve.energy_curve
    return {
        "run": {
            "status": run.energy.status if run.energy else None,
            "section": serialization.dump(run.energy),
            "device_time_s": run.typical(run.throughput_figure),
        },
        "throughput": {
            "peak_batch": curve.peak_batch,
            "curve": serialization.dump(energy),
            "verdict": energy.verdict if energy else None,
        },
    }


def tiny_model() -> torch.nn.Module:
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 16, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool2d(1),
        torch.nn.Flatten(),
        torch.nn.Linear(16, 10),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda:0")
    parser.add_argument("--out", type=Path, default=Path("."))
    parser.add_argument("--resnet-batch", type=int, default=256)
    parser.add_argument("--resnet-dtype", choices=("fp32", "fp16", "bf16"), default="fp32")
    parser.add_argument("--effnet-batches", default="1,8,32,64,128,256,512,1024")
    parser.add_argument("--tiny", action="store_true", help="small stand-in models (CPU smoke)")
    parser.add_argument("--synthetic-counter", type=float, metavar="W")
    parser.add_argument("--min-window-s", type=float, default=2.0)
    parser.add_argument("--idle-s", type=float, default=5.0)
    parser.add_argument(
        "--pipeline",
        action="store_true",
        help="also measure through the public API (run and throughput with energy=True)",
    )
    parser.add_argument(
        "--check-sharing",
        action="store_true",
        help="measure ResNet-50 once more with another process on the GPU (must be flagged)",
    )
    ns = parser.parse_args(argv)

    dtypes = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}
    if ns.device.startswith("cuda"):
        from infertime.devices.cuda import CudaDevice

        index = int(ns.device.partition(":")[2] or 0)
        torch.cuda.set_device(index)
        device: Device = CudaDevice(index)
        torch.backends.cudnn.benchmark = True
    else:
        device = CpuDevice()
    policy = EnergyPolicy(
        min_window_s=ns.min_window_s,
        idle_s=ns.idle_s,
        max_time_s=WINDOWS_BUDGET_S,
        cross_check_tolerance=CROSS_CHECK_TOLERANCE,
    )
    counter: EnergyCounter | CounterUnavailable = (
        SyntheticCounter(ns.synthetic_counter)
        if ns.synthetic_counter is not None
        else open_counter(device)
    )
    probe = EnergyProbe(device, policy, counter=counter)
    info = device.describe()
    data: dict[str, Any] = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "device": f"{info.get('name')} ({device.name})",
        "environment": {
            "torch": torch_state(),
            "gpu": snapshot(info.get("uuid"), int(info.get("index", 0)))
            if device.kind == "cuda"
            else None,
        },
        "synthetic_counter": ns.synthetic_counter,
        "seconds": {},
    }
    ns.out.mkdir(parents=True, exist_ok=True)
    sections: dict[str, EnergySection] = {}
    resnet_label = None
    with torch.inference_mode():
        if isinstance(counter, CounterUnavailable):
            print(counter.reason, file=sys.stderr)
        stand_in = "tiny stand-in for " if ns.tiny else ""
        resnet_label = f"{stand_in}resnet50 {ns.resnet_dtype} batch {ns.resnet_batch}"
        resnet = build(
            "resnet50",
            ns.resnet_batch,
            dtypes[ns.resnet_dtype],
            ns.resnet_dtype != "fp32",
            ns.device,
            ns.tiny,
        )
        probe.prepare()  # the update period and the idle baseline, with the model built
        sections[resnet_label], data["seconds"][resnet_label] = measure(
            probe, device, resnet, ns.resnet_batch
        )
        if ns.check_sharing and device.kind == "cuda":
            label = f"{resnet_label}, another process on the GPU"
            sections[label], data["seconds"][label] = measure_shared(
                probe, device, resnet, ns.resnet_batch, ns.device
            )
        del resnet
        effnet = []
        for batch in (int(b) for b in ns.effnet_batches.split(",")):
            label = f"{stand_in}efficientnet_b0 fp32 batch {batch}"
            try:
                call = build("efficientnet_b0", batch, torch.float32, False, ns.device, ns.tiny)
                sections[label], data["seconds"][label] = measure(probe, device, call, batch)
            except (RuntimeError, torch.cuda.OutOfMemoryError) as exc:
                if not is_oom(exc):
                    raise
                print(f"{label}: out of memory, larger batches skipped", file=sys.stderr)
                break
            finally:
                call = None  # type: ignore[assignment]
                if device.kind == "cuda":
                    torch.cuda.empty_cache()
            effnet.append(sections[label])
            print(f"{label}: {sections[label].status}", file=sys.stderr)
    curve = energy_curve(effnet)
    data["method"] = serialization.dump(probe.method())
    data["sections"] = {k: serialization.dump(s) for k, s in sections.items()}
    data["curve"] = serialization.dump(curve)
    data["targets"] = targets(sections, resnet_label, curve)
    if ns.pipeline:
        data["through_api"] = through_api(ns, policy, counter)
    (ns.out / "energy_gpu.json").write_text(json.dumps(data, indent=1) + "\n")
    text = report(data, sections, curve)
    api = data.get("through_api")
    if api is not None:
        text += (
            f"\nThrough the API: run (ResNet-50): energy {api['run']['status']}; throughput "
            f"(EfficientNet-B0 fp32): peak batch {api['throughput']['peak_batch']}; "
            f"{api['throughput']['verdict']}\n"
        )
    (ns.out / "energy_gpu.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
