"""What a generation measurement times (GenerationSpec) and how (GenerationPolicy); torch-free.

Checked before anything slow happens: a bad flag fails in milliseconds, with exit 2.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import ConfigError, option
from ..policies import StopPolicy, WarmupPolicy

DTYPES = ("fp32", "fp16", "bf16")
BACKENDS = ("eager", "compile")
CACHES = ("dynamic", "static")
# generate()'s own CompileConfig default (transformers generation/configuration_utils.py):
# CUDA graphs through "reduce-overhead"; the same here, so the two paths compile alike.
DEFAULT_COMPILE_MODE = "reduce-overhead"


def _whole(name: str, value: object, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(f"{name} must be an integer >= {low}, got {value!r}")
    return value


@dataclass(frozen=True)
class GenerationSpec:
    """One generation workload: a causal LM, prompt and output lengths, batch, format, device.

    `model` is `hf:TYPE` (a transformers model type: gpt2, llama, qwen2, mistral, ...) or
    `hf:./dir` (a folder with a config.json); the weights are random and nothing is
    downloaded. Every sequence of the batch gets exactly `prompt_len` random prompt tokens
    and must yield exactly `new_tokens` new ones (greedy, EOS impossible).
    """

    model: str
    prompt_len: int
    new_tokens: int
    batch_size: int = 1
    hf_config: tuple[str, ...] = ()  # "key=value" changes to the model's config
    dtype: str = "fp32"
    device: str = "auto"
    backend: str = "eager"  # "compile": decode steps through torch.compile, static cache
    cache: str = "dynamic"  # "static": preallocated to max_cache_len
    max_cache_len: int | None = None  # static cache only; None: prompt_len + new_tokens
    compile_mode: str | None = None  # None: DEFAULT_COMPILE_MODE
    compile_backend: str = "inductor"  # torch.compile backend ("eager" in fast tests)
    attn_implementation: str | None = None  # None: transformers' default (sdpa where it can)
    seed: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.model, str) or not self.model.startswith("hf:"):
            raise ConfigError(
                f"generate times Hugging Face causal LMs, named hf:TYPE or hf:./dir; "
                f"got {self.model!r}",
                advice="e.g. hf:gpt2, hf:llama, hf:qwen2, hf:mistral",
            )
        _whole(option("prompt_len"), self.prompt_len, 1)
        n = _whole(option("new_tokens"), self.new_tokens, 0)
        if n < 2:
            raise ConfigError(
                f"{option('new_tokens')} must be at least 2, got {n}: the first new token "
                "comes from prefill, so with fewer there is no decode step to time"
            )
        _whole(option("batch_size"), self.batch_size, 1)
        _whole(option("seed"), self.seed, 0)
        if self.dtype not in DTYPES:
            raise ConfigError(f"{option('dtype')} must be one of {', '.join(DTYPES)}")
        if self.backend not in BACKENDS:
            raise ConfigError(f"{option('backend')} must be one of {', '.join(BACKENDS)}")
        if self.cache not in CACHES:
            raise ConfigError(f"{option('cache')} must be one of {', '.join(CACHES)}")
        if self.backend == "compile" and self.cache != "static":
            raise ConfigError(
                f"{option('backend')} compile needs {option('cache')} static: a dynamic cache "
                "grows every step, so every step would recompile (transformers#37908)"
            )
        if self.max_cache_len is not None:
            if self.cache != "static":
                raise ConfigError(f"{option('max_cache_len')} applies to {option('cache')} static")
            _whole(option("max_cache_len"), self.max_cache_len, 1)
            if self.max_cache_len < self.total_len:
                raise ConfigError(
                    f"{option('max_cache_len')} {self.max_cache_len} is shorter than prompt + new "
                    f"tokens ({self.total_len})"
                )
        if self.backend != "compile" and self.compile_mode is not None:
            raise ConfigError(f"{option('compile_mode')} applies to {option('backend')} compile")

    @property
    def total_len(self) -> int:
        """Tokens a sequence holds at the end: the prompt and every new token."""
        return self.prompt_len + self.new_tokens

    @property
    def cache_len(self) -> int | None:
        """The static cache's length (what each decode step attends over); None if dynamic."""
        if self.cache != "static":
            return None
        return self.max_cache_len if self.max_cache_len is not None else self.total_len

    @property
    def resolved_compile_mode(self) -> str | None:
        if self.backend != "compile":
            return None
        return self.compile_mode or DEFAULT_COMPILE_MODE


def _sequence_warmup() -> WarmupPolicy:
    # A call here is a whole sequence (up to seconds on a large model): steadiness is judged
    # on windows of at least 3 sequences and 0.05 s, two windows agreeing.
    return WarmupPolicy(
        min_time_s=0.3, min_calls=4, window_calls=3, windows=2, tolerance=0.01, max_time_s=30.0
    )


def _sequence_stop() -> StopPolicy:
    # The unit is the sequence; 10 is the least that gives a median CI with serial allowance.
    return StopPolicy(precision=0.01, min_samples=10, max_time_s=20.0, consecutive_passes=2)


@dataclass(frozen=True)
class GenerationPolicy:
    """How a generation measurement is taken (never what)."""

    warmup: WarmupPolicy = field(default_factory=_sequence_warmup)
    stop: StopPolicy = field(default_factory=_sequence_stop)  # on median TTFT and TPOT both
    caller: bool = True  # also time generate() as users call it, and a streamed pass
    caller_warmup_calls: int = 2
    # generate() calls timed whole, then streamed: each pass stops at max calls, or once it
    # has min calls and has run max time (20 calls: a median CI survives some correlation)
    caller_min_calls: int = 6
    caller_max_calls: int = 20
    caller_max_time_s: float = 8.0
    count_syncs: bool = True  # host syncs of one generate() call (GPU only)
    instrumentation: bool = False  # interleave with/without per-step marks (costs time)
    instrumentation_rounds: int = 16  # ABBA rounds, each one sequence per arm and slot
    instrumentation_max_time_s: float = 20.0

    def __post_init__(self) -> None:
        _whole("caller warm-up calls", self.caller_warmup_calls, 0)
        _whole("caller min calls", self.caller_min_calls, 1)
        _whole("caller max calls", self.caller_max_calls, self.caller_min_calls)
        if not self.caller_max_time_s > 0:
            raise ConfigError("caller max time must be positive")
        _whole("instrumentation rounds", self.instrumentation_rounds, 2)
        if not self.instrumentation_max_time_s > 0:
            raise ConfigError("instrumentation max time must be positive")
