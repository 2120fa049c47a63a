"""The generate kind (`infertime generate`): registered in kinds/__init__.py."""

from __future__ import annotations

from typing import Any

from ..engine.progress import ProgressSink
from ..kinds.base import Command, Kind, Opt, Values
from ..parsing import parse_int
from .options import DEFAULT_MODEL, DEFAULT_NEW_TOKENS, DEFAULT_PROMPT_LEN, parse_batches


def _slo(text: str) -> Any:
    from .slo import parse_slo

    return parse_slo(text)


def run(o: Values, progress: ProgressSink) -> Any:
    from .api import measure_generation

    return measure_generation(
        o.model,
        prompt_len=o.prompt_len,
        new_tokens=o.new_tokens,
        batch_size=o.batch_size,
        cache=o.cache,
        max_cache_len=o.max_cache_len,
        slo=o.slo,
        max_batch=o.max_batch,
        caller=o.caller,
        instrumentation=o.marks_cost,
        diagnose=o.diagnose,
        processes=o.processes if o.processes is not None else 1,
        min_samples=o.min_samples,
        energy=o.energy,
        progress=progress,
        **o.workload(batch=False),
        **o.sampling(),
    )


KIND = Kind(
    name="generate",
    format_path="infertime.generation.result:FORMAT",
    render_path="infertime.generation.render:print_generation",
    table_path="infertime.generation.table:generation_table",
    checks_path="infertime.generation.checks:check_generation",
    measure="infertime.generation.api:measure_generation",
    offline_path="infertime.generation.offline:OFFLINE",
    figures_path="infertime.generation.report:figures",
    report_path="infertime.generation.report:REPORT",
    live_compare_path="infertime.generation.compare:compare_generation",
    command=Command(
        name="generate",
        help="Time text generation of a causal LM: TTFT, TPOT, ITL, end to end, tokens/s "
        "(device path and generate() apart).",
        options=(
            Opt(
                "model",
                (),
                "A Hugging Face causal LM: hf:gpt2, hf:llama, hf:qwen2, hf:mistral, hf:./dir "
                "(random weights).",
                style="argument",
                default=DEFAULT_MODEL,
                metavar="MODEL",
            ),
            Opt(
                "prompt_len",
                ("--prompt-len",),
                "Prompt tokens per sequence (exactly).",
                default=DEFAULT_PROMPT_LEN,
                parse=parse_int("--prompt-len"),
                metavar="P",
            ),
            Opt(
                "new_tokens",
                ("--new-tokens",),
                "New tokens per sequence (exactly; greedy, EOS impossible; at least 2).",
                default=DEFAULT_NEW_TOKENS,
                parse=parse_int("--new-tokens"),
                metavar="N",
            ),
            Opt(
                "batch_size",
                ("--batch-size", "-b"),
                "Sequences per call: one (4), a sweep (1,4,16,64) or search (with --slo).",
                parse=parse_batches,
                metavar="B",
            ),
            Opt(
                "cache",
                ("--cache",),
                "KV cache: dynamic (grows) or static (preallocated to --max-cache-len).",
                default="dynamic",
                metavar="KIND",
            ),
            Opt(
                "max_cache_len",
                ("--max-cache-len",),
                "Static cache length (default prompt + new tokens).",
                parse=parse_int("--max-cache-len"),
                metavar="TOKENS",
            ),
            Opt(
                "slo",
                ("--slo",),
                "Limits, e.g. ttft=500ms,tpot=30ms: the largest batch meeting both "
                "(one-sided 95 % bounds of the medians).",
                parse=_slo,
                metavar="LIMITS",
            ),
            Opt(
                "max_batch",
                ("--max-batch",),
                "Largest batch an SLO search tries (default 256).",
                default=256,
                parse=parse_int("--max-batch"),
                metavar="B",
            ),
            "hf_config",
            "backend",
            "compile_mode",
            "dtype",
            "device",
            "threads",
            "seed",
            "sampling",
            "min_samples",
            "processes",
            Opt(
                "caller",
                ("--caller",),
                "Also time generate() as users call it (host clock, streamed).",
                style="toggle",
                default=True,
            ),
            Opt(
                "marks_cost",
                ("--marks-cost",),
                "Also measure what the per-step device marks cost (interleaved with/without).",
                style="switch",
            ),
            "diagnose",
            "energy",
            "output",
        ),
        run=run,
    ),
)
