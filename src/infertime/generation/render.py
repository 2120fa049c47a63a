"""Render a generation result for the terminal, in 80 columns: the device path and the
caller's path in separate blocks, never one column; with `details`, every other tool's
definition computed on the same token times, warm-up, stopping and wall times."""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console

from .. import stats
from ..reporting.diagnostics import wrapped
from ..reporting.energy import ci_footnote, method_lines, print_lines, section_headline
from ..reporting.units import duration, duration_in, percent, rate, size_bytes, unit_of
from . import figures as fig
from .records import GenerationRun
from .result import GenerationResult

DEVICE_PATH = "device path: own prefill + greedy decode loop, device marks, one sync at the end"
CALLER_PATH = "caller's path: generate() as users call it, host clock"


def ci_words(f: fig.Figure) -> str:
    s = f.summary
    if s.median_ci is None:
        return "n/a (too few calls)"
    lo, hi = s.median_ci
    if f.unit == "s":
        return (
            f"{duration_in(lo, s.median)}–{duration_in(hi, s.median)} {unit_of(s.median)} "
            f"(±{percent(s.median_ci_rel, 1)})"
        )
    if s.median_ci_rel is None:
        return f"{lo * 1e6:+.3g} to {hi * 1e6:+.3g} µs/position" if f.unit != "tokens/s" else ""
    return f"±{percent(s.median_ci_rel, 1)}"


def value_words(f: fig.Figure) -> str:
    if f.unit == "s":
        return duration(f.median)
    if f.unit == "tokens/s":
        return rate(f.median, "tok/s")
    return f"{f.median * 1e6:+.3g} µs/position"


def figure_line(console: Console, name: str, f: fig.Figure | None) -> None:
    if f is None:
        return
    console.print(f"  {name:<23} {value_words(f):>14}  95% CI {ci_words(f)}")


def describe(r: GenerationResult, run: GenerationRun) -> str:
    s = run.spec
    cache = s.cache + (f" ({run.cache.max_cache_len} tokens)" if s.cache == "static" else "")
    device = r.settings.device
    name = r.environment.get("device", {}).get("name")
    if name and name not in ("cpu", device):
        device = f"{device} ({name})"
    elif device == "cpu":
        threads = r.settings.threads
        device = f"cpu, {threads} thread" + ("s" if threads != 1 else "")
    return " · ".join(
        [s.model, f"batch {s.batch_size}", s.dtype, f"prompt {s.prompt_len}",
         f"{s.new_tokens} new tokens", f"{cache} cache", s.backend, device]
    )  # fmt: skip


def print_run(console: Console, r: GenerationResult, run: GenerationRun, details: bool) -> None:
    wrapped(console, describe(r, run))
    dev = fig.device_figures(run)
    n = len(run.sequences)
    wrapped(console, f"{DEVICE_PATH}; {n} calls of {run.spec.batch_size} (CI unit: the call)")
    figure_line(console, "TTFT", dev.get("ttft_s"))
    figure_line(console, "TPOT", dev.get("tpot_s"))
    figure_line(console, "end to end", dev.get("e2e_s"))
    figure_line(console, "TPOT slope", dev.get("step_slope_s_per_position"))
    figure_line(console, "decode tok/s, sequence", dev.get("decode_tokens_per_s_per_sequence"))
    figure_line(console, "decode tok/s, batch", dev.get("decode_tokens_per_s_per_batch"))
    figure_line(console, "prefill tok/s, sequence", dev.get("prefill_tokens_per_s_per_sequence"))
    figure_line(console, "prefill tok/s, batch", dev.get("prefill_tokens_per_s_per_batch"))
    steps = fig.device_steps(run)
    if steps is not None:
        wrapped(console, tails("decode steps, pooled", steps), "  ", "    ")
    caller = fig.caller_figures(run)
    if caller:
        c = run.caller
        assert c is not None
        wrapped(console, f"{CALLER_PATH}; {len(c.latency_s)} calls, {len(c.streamed)} streamed")
        figure_line(console, "generate() latency", caller.get("generate_latency_s"))
        figure_line(
            console, "generate() tok/s, batch", caller.get("generate_tokens_per_s_per_batch")
        )
        figure_line(console, "TTFT, streamed", caller.get("host_ttft_s"))
        figure_line(console, "TPOT, streamed", caller.get("host_tpot_s"))
        itl = fig.host_itl(run)
        if itl is not None:
            wrapped(console, tails("ITL, streamed, pooled", itl), "  ", "    ")
        cost = fig.caller_cost(run)
        if cost is not None:
            ci = cost.ratio.ci
            ci_text = f" (95% CI {ci[0]:.3f}–{ci[1]:.3f})" if ci else ""
            syncs = (
                f"; {cost.host_syncs_per_call} host syncs per call, "
                f"{cost.host_syncs_per_token:.2g} per token"
                if cost.host_syncs_per_call is not None and cost.host_syncs_per_token is not None
                else f"; host syncs: {c.syncs_note}"
            )
            wrapped(
                console,
                f"generate() / device path end to end: {cost.ratio.value:.3f}×{ci_text}, "
                f"{duration(cost.extra_per_token_s)} more per token{syncs}",
                "  ",
                "    ",
            )
    mem = fig.memory(run)
    kv = f"KV cache {size_bytes(mem.kv_bytes_per_token_config)}/token (config)"
    if mem.kv_bytes_per_token_measured is not None:
        kv += f", {size_bytes(round(mem.kv_bytes_per_token_measured))}/token measured"
    wrapped(
        console, f"memory: peak {size_bytes(mem.peak_allocated_bytes)} ({mem.peak_source}); {kv}"
    )
    if run.compile is not None:
        cr = run.compile
        console.print(
            f"compile: {duration(cr.compile_s)} apart ({cr.mode}, {cr.backend}), "
            f"{cr.recompiles_in_timed_region} recompiles in the timed region"
        )
    gap = fig.marks_gap(run)
    if gap is not None:
        console.print(f"marks: prefill + steps within {percent(gap, 3)} of the whole sequence")
    cost_marks = fig.instrumentation_cost(run)
    if cost_marks is not None:
        console.print(f"per-step marks cost: {cost_marks.value - 1:+.2%} of a sequence")
    wrapped(console, f"stopped: {run.stop.message}")
    if details:
        wrapped(console, f"warm-up: {run.warmup.message}")
        print_tool_views(console, run)


def tails(name: str, d: fig.Distribution) -> str:
    parts = []
    for q, label in ((0.5, "p50"), (0.9, "p90"), (0.99, "p99")):
        v = d.quantile(q)
        need = stats.min_samples_for_percentile(q)
        parts.append(f"{label} {duration(v)}" if v is not None else f"{label} n/a (<{need})")
    return f"{name}: " + ", ".join(parts) + f" ({len(d.values)} gaps, {d.calls} calls)"


def tool_unit(t: object) -> Callable[[float], str]:
    """Seconds, or tokens/s for a tool's throughput figure (its definition says so)."""
    if "tokens/s" in str(getattr(t, "definition", "")):
        return lambda v: rate(v, "tok/s")
    return duration


def print_tool_views(console: Console, run: GenerationRun) -> None:
    """Each tool's figures, named as theirs, on the device marks and on the streamed host
    clock apart (definitions.py holds each definition and its source)."""
    for path, views in fig.tool_views(run).items():
        where = "device marks" if path == "device" else "host clock, streamed generate()"
        console.print(f"[bold]other tools' definitions, on the {where}[/bold]")
        for t in views:
            pooled = ", pooled over tokens" if t.pooled else ", per request"
            show = tool_unit(t)
            ps = ", ".join(f"{k} {show(v)}" for k, v in t.percentiles.items())
            wrapped(console, f"{t.name}: mean {show(t.mean)}, median {show(t.median)}{pooled}",
                    "  ", "    ")  # fmt: skip
            if ps:
                wrapped(console, ps, "    ", "    ")
            wrapped(console, f"{t.definition} [{t.source}]", "    ", "    ")


def print_sweep(console: Console, r: GenerationResult) -> None:
    sweep = r.sweep
    assert sweep is not None
    what = "SLO search" if sweep.batches is None else "batch sweep"
    console.print(f"[bold]{what}: tokens/s per GPU against per user (device path)[/bold]")
    console.print(f"  {'batch':>6} {'TTFT':>10} {'TPOT':>10} {'tok/s GPU':>12} {'tok/s user':>11}")
    for p in sweep.points:
        if p.failed is not None:
            console.print(f"  {p.batch:>6} failed: {p.failed}")
            continue
        console.print(
            f"  {p.batch:>6} {duration(stats.median(p.ttft_s)):>10} "
            f"{duration(stats.median(p.tpot_s)):>10} {rate(p.tokens_per_s_per_gpu, ''):>12} "
            f"{rate(p.tokens_per_s_per_user, ''):>11}"
        )
    if sweep.choice is not None:
        wrapped(console, sweep.choice.message)
        for v in sweep.choice.verdicts:
            wrapped(console, f"batch {v.batch}: {'meets' if v.meets else 'fails'}: {v.reason}",
                    "  ", "    ")  # fmt: skip


def print_processes(console: Console, r: GenerationResult) -> None:
    for key, name in (("ttft_s", "TTFT"), ("tpot_s", "TPOT")):
        a = r.across(key)
        if a is None:
            return
        ci = a.typical_ci
        ci_text = f", 95% CI {duration(ci[0])}–{duration(ci[1])}" if ci else ""
        console.print(f"over {len(r.processes)} fresh processes: {name} {duration(a.typical)}"
                      f"{ci_text}, between-process CV {percent(a.between_cv, 1)}")  # fmt: skip


def energy_lines(r: GenerationResult) -> list[str]:
    """--energy: J per sequence and per generated token of back-to-back whole calls (device
    path, no per-step marks), total and above idle; or why there is none."""
    record = r.analysis.energy
    if record is None:
        return []
    lines = ["energy: whole calls back to back (prefill + decode, per-step marks off)"]
    for section in record.sections:
        lines += [x.replace("energy/item ", "energy/seq  ") for x in section_headline(section)]
    note = ci_footnote(record)
    return lines + ([note] if note else [])


def print_energy(console: Console, r: GenerationResult, details: bool) -> None:
    lines = energy_lines(r)
    if not lines:
        return
    assert r.analysis.energy is not None
    print_lines(console, lines + (method_lines(r.analysis.energy) if details else []))


def print_generation(r: GenerationResult, console: Console, details: bool = False) -> None:
    for i, run in enumerate(r.runs):
        if i:
            console.print()
        print_run(console, r, run, details and i == 0)
    if r.sweep is not None:
        console.print()
        print_sweep(console, r)
    if r.processes:
        print_processes(console, r)
    print_energy(console, r, details)
    if details and r.analysis.wall_s is not None:
        w = r.analysis.wall_s
        console.print(f"wall time: {duration(w.total_s)} in all, engine {duration(w.engine_s)}")
