"""From the shared workload spec and generate's own options to a GenerationSpec and a
GenerationPolicy, and back; torch-free, checked before anything slow happens.

The workload flags that mean the same thing in every command (model, --hf-config, --dtype,
--device, --threads, --seed, --backend, --compile-mode) arrive in a `WorkloadSpec`, so that a
child process, a result file and a `compare` configuration carry them as every other kind
does; generate's own (prompt and output lengths, the cache) arrive beside it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ..errors import ConfigError, option
from ..policies import MeasureConfig, StopPolicy, WarmupPolicy
from ..specs.spec import WorkloadSpec
from .spec import CACHES, GenerationPolicy, GenerationSpec

DEFAULT_MODEL = "hf:gpt2"
DEFAULT_PROMPT_LEN = 128
DEFAULT_NEW_TOKENS = 128

# WorkloadSpec fields generate does not take: what to say instead.
NOT_FOR_GENERATE = {
    "input_shape": "the prompt's shape is --prompt-len (and --batch-size)",
    "seq_len": "the prompt's length is --prompt-len",
    "autocast": "generate casts the model (--dtype); autocast is not offered",
    "channels_last": "a token model has no channels",
    "dynamic": "generate compiles the decode step with static shapes (a static cache)",
}


@dataclass(frozen=True)
class GenerateOptions:
    """generate's own options, beside the workload spec (the API's keywords, the CLI's flags)."""

    prompt_len: int = DEFAULT_PROMPT_LEN
    new_tokens: int = DEFAULT_NEW_TOKENS
    cache: str = "dynamic"
    max_cache_len: int | None = None
    compile_backend: str = "inductor"  # torch.compile backend ("eager" in fast tests)
    attn_implementation: str | None = None

    def __post_init__(self) -> None:
        if self.cache not in CACHES:
            raise ConfigError(f"{option('cache')} must be dynamic or static, got {self.cache!r}")


def generation_spec(workload: WorkloadSpec, own: GenerateOptions) -> GenerationSpec:
    """The GenerationSpec of a workload spec and generate's options; one clear line for a
    workload flag generate does not take."""
    base = WorkloadSpec(model=workload.model)
    for name, why in NOT_FOR_GENERATE.items():
        if getattr(workload, name) != getattr(base, name):
            raise ConfigError(f"generate does not take {option(name)}: {why}")
    if workload.backend not in ("eager", "compile"):
        raise ConfigError(
            f"generate runs {option('backend')} eager or compile, not {workload.backend}",
            advice="compile uses CUDA graphs itself (mode reduce-overhead, the default here)",
        )
    return GenerationSpec(
        model=workload.model,
        prompt_len=own.prompt_len,
        new_tokens=own.new_tokens,
        batch_size=workload.batch_size or 1,
        hf_config=tuple(workload.hf_config),
        dtype=workload.dtype,
        device=workload.device,
        backend=workload.backend,
        cache=own.cache,
        max_cache_len=own.max_cache_len,
        compile_mode=workload.compile_mode,
        compile_backend=own.compile_backend,
        attn_implementation=own.attn_implementation,
        seed=workload.seed,
    )


def workload_of(spec: GenerationSpec, threads: int | None = None) -> WorkloadSpec:
    """The workload spec a generation spec records (settings, child requests, compare arms)."""
    return WorkloadSpec(
        model=spec.model,
        batch_size=spec.batch_size,
        hf_config=spec.hf_config,
        backend=spec.backend,
        compile_mode=spec.compile_mode,
        dtype=spec.dtype,
        device=spec.device,
        threads=threads,
        seed=spec.seed,
    )


def own_options(spec: GenerationSpec) -> dict[str, Any]:
    """generate's own keyword options of a spec (what a child request carries beside it)."""
    return {
        "prompt_len": spec.prompt_len,
        "new_tokens": spec.new_tokens,
        "cache": spec.cache,
        "max_cache_len": spec.max_cache_len,
        "compile_backend": spec.compile_backend,
        "attn_implementation": spec.attn_implementation,
    }


# -- how: sequence-sized presets -------------------------------------------------------------

# A call is a whole sequence (milliseconds to seconds): warm-up judged on windows of 3
# sequences; the median CIs of TTFT and TPOT both within the precision, from 10 calls. The
# caller's path gets its own, smaller budget (its figures are context, not the headline).
PRESETS: dict[str, GenerationPolicy] = {
    "quick": GenerationPolicy(
        warmup=WarmupPolicy(min_time_s=0.2, min_calls=3, window_calls=3, windows=2,
                            tolerance=0.02, max_time_s=10.0),
        stop=StopPolicy(precision=0.02, min_samples=10, max_time_s=5.0),
        caller_min_calls=5, caller_max_calls=10, caller_max_time_s=3.0,
    ),
    "default": GenerationPolicy(),
    "rigorous": GenerationPolicy(
        warmup=WarmupPolicy(min_time_s=2.0, min_calls=6, window_calls=5, windows=3,
                            tolerance=0.005, max_time_s=60.0),
        stop=StopPolicy(precision=0.005, min_samples=30, max_time_s=60.0),
        caller_min_calls=10, caller_max_calls=40, caller_max_time_s=20.0,
    ),
}  # fmt: skip

# On a CPU a sequence of a real model takes tens to hundreds of milliseconds and other
# processes share the cores: ±1 % is rarely reached, so the default budget is halved there
# (the target: a full answer with CIs within 60 s on 2 cores, imports included).
CPU_BUDGET_S = 10.0
CPU_CALLER_BUDGET_S = 4.0


def generation_policy(
    preset: str = "default",
    *,
    precision: float | None = None,
    max_time_s: float | None = None,
    min_samples: int | None = None,
    config: MeasureConfig | None = None,
    device_kind: str | None = None,
    caller: bool = True,
    instrumentation: bool = False,
) -> GenerationPolicy:
    """The policy a preset and the sampling flags ask for; `config` (a child's request, or a
    caller's own) replaces the preset's warm-up and stop policies entirely."""
    if preset not in PRESETS:
        raise ConfigError(
            f"unknown preset {preset!r}", advice=f"choose one of: {', '.join(PRESETS)}"
        )
    policy = PRESETS[preset]
    if config is not None:
        policy = replace(policy, warmup=config.warmup, stop=config.stop)
    elif device_kind == "cpu" and max_time_s is None and preset == "default":
        policy = replace(
            policy,
            stop=replace(policy.stop, max_time_s=CPU_BUDGET_S),
            caller_max_time_s=CPU_CALLER_BUDGET_S,
        )
    # MeasureConfig's overrides, so that the flags mean what they mean in `run`.
    as_config = MeasureConfig(warmup=policy.warmup, stop=policy.stop, preset=preset)
    as_config = as_config.with_overrides(
        precision=precision, max_time_s=max_time_s, min_samples=min_samples
    )
    return replace(
        policy,
        warmup=as_config.warmup,
        stop=as_config.stop,
        caller=caller,
        instrumentation=instrumentation,
    )


def method_of(policy: GenerationPolicy, preset: str) -> MeasureConfig:
    """The policy as the `method` every result's settings record."""
    return MeasureConfig(warmup=policy.warmup, stop=policy.stop, preset=preset)


# -- the batch: one, a list, or a search ----------------------------------------------------


def parse_batches(text: str) -> tuple[int, ...] | str:
    """'--batch-size 4', '1,4,16,64' (a sweep) or 'search' (with --slo)."""
    t = text.strip().lower()
    if t == "search":
        return "search"
    out = []
    for part in t.split(","):
        try:
            value = int(part)
        except ValueError:
            raise ConfigError(
                f"{option('batch_size')} takes a batch, a list such as 1,4,16,64, or search; "
                f"got {text!r}"
            ) from None
        if value < 1:
            raise ConfigError(f"{option('batch_size')} must be at least 1, got {value}")
        out.append(value)
    return tuple(sorted(set(out)))


def batches_of(value: int | Sequence[int] | str | None) -> tuple[int, ...] | str | None:
    """The API's `batch_size`: an int, a list of ints, "search", or None (1)."""
    if value is None or isinstance(value, str):
        return parse_batches(value) if isinstance(value, str) else None
    if isinstance(value, bool):
        raise ConfigError(f"{option('batch_size')} must be an integer, got {value!r}")
    if isinstance(value, int):
        return (value,) if value >= 1 else parse_batches(str(value))
    return parse_batches(",".join(str(v) for v in value))


def only_keys(options: Mapping[str, Any], allowed: frozenset[str], function: str) -> None:
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise TypeError(f"{function}() got an unexpected keyword argument {unknown[0]!r}")
