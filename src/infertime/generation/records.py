"""What a generation measurement keeps: raw marks per timed call, the caller's path, settings;
plain frozen dataclasses, torch-free, statistics never stored (figures.py derives them).

Unit: one *call* runs `batch_size` sequences together (static batch: they start, prefill and
step together, so their token times are shared). A call is "one sequence" in the statistics:
the B sequences inside it are not independent samples.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..devices.base import MemoryReading
from ..records import StopRecord, WarmupRecord
from .definitions import TokenTrace
from .spec import GenerationPolicy, GenerationSpec

DEVICE_PATH = "device path: own prefill + greedy decode loop on the model's KV cache"
CALLER_PATH = "caller's path: model.generate() as users call it"


@dataclass(frozen=True)
class SequenceRecord:
    """One timed call on the device path (B sequences), from its marks.

    `ttft_s`: mark before prefill -> mark after the first token was chosen on the device
    (argmax), i.e. prefill + first sampling. `step_s[k - 1]`: decode step k (k = 1..N-1), the
    forward pass that feeds token k at KV position P + k - 1 and chooses token k + 1.
    `whole_s`: first mark -> last mark, read on its own. Without per-step marks `step_s` is
    empty and `decode_s` is its own interval (first token -> last token).
    """

    index: int
    ttft_s: float
    decode_s: float
    whole_s: float
    step_s: tuple[float, ...] = ()
    start_ns: int = 0  # host clock at the call's start (ordering; never a sample)

    @property
    def per_step(self) -> bool:
        return bool(self.step_s)

    @property
    def marks_gap_rel(self) -> float:
        """|TTFT + decode - whole| / whole: how far the parts are from the whole's own
        reading (timer resolution, and on a timer chain the gaps between its pairs)."""
        return abs(self.ttft_s + self.decode_s - self.whole_s) / self.whole_s


@dataclass(frozen=True)
class ModelRecord:
    """The model as built: what it is, how big, how long it took."""

    reference: str
    class_name: str
    source: str
    parameters: int
    parameter_bytes: int
    build_s: float
    attn_implementation: str | None
    removed_eos_ids: tuple[int, ...]
    kv_bytes_per_token_config: int | None  # layers x 2 x KV heads x head dim x dtype bytes
    kv_layout: dict[str, int] | None  # layers, kv_heads, head_dim, dtype_bytes


@dataclass(frozen=True)
class CacheRecord:
    """The KV cache of the timed calls: its kind, its length, and its measured size."""

    kind: str  # "dynamic" | "static"
    max_cache_len: int | None  # static: what each decode step attends over
    measured_bytes: int | None  # keys + values tensors after a call
    tokens_held: int | None  # tokens per sequence those tensors hold (static: max_cache_len)
    batch_size: int

    @property
    def measured_bytes_per_token(self) -> float | None:
        if self.measured_bytes is None or not self.tokens_held:
            return None
        return self.measured_bytes / (self.tokens_held * self.batch_size)


@dataclass(frozen=True)
class CompileRecord:
    """torch.compile on the decode steps (prefill stays eager, as generate() does)."""

    mode: str
    backend: str
    compile_s: float  # first call (compilation included), synchronized; outside all samples
    priming_calls: int
    graphs_before_timing: int | None  # dynamo's unique graphs after priming
    graphs_after_timing: int | None  # ... after the last timed call: equal, or the run stopped
    definition: str = (
        "decode forward compiled with dynamic=False; prefill eager; recompiles are errors from "
        "warm-up on (torch._dynamo.config.error_on_recompile)"
    )

    @property
    def recompiles_in_timed_region(self) -> int | None:
        if self.graphs_before_timing is None or self.graphs_after_timing is None:
            return None
        return self.graphs_after_timing - self.graphs_before_timing


@dataclass(frozen=True)
class CallerRecord:
    """generate() as users call it: whole calls, then streamed calls read token by token."""

    generate_kwargs: tuple[str, ...]  # what each call passed, as text
    warmup_calls: int
    latency_s: tuple[float, ...]  # whole calls: host clock, synchronized at the end
    streamed: tuple[TokenTrace, ...]  # host clock: when each token reached the streamer
    host_syncs_per_call: int | None  # synchronizing operations in one call (GPU only)
    syncs_note: str
    compiled_by_generate: bool  # generate() compiled its forward itself (static cache, CUDA)
    new_tokens: int
    batch_size: int


@dataclass(frozen=True)
class InstrumentationRecord:
    """The loop with per-step marks against the same loop with only its first, TTFT and
    last marks, in interleaved rounds (a random order and its reverse); each figure is the
    call's own whole-sequence time."""

    rounds_with_s: tuple[tuple[float, ...], ...]  # per round, the calls with per-step marks
    rounds_without_s: tuple[tuple[float, ...], ...]
    stop: StopRecord


@dataclass(frozen=True)
class GenerationRun:
    """Everything one generation measurement produced; the step's output (measure.py)."""

    spec: GenerationSpec
    policy: GenerationPolicy
    device: str
    device_description: dict[str, Any]
    timer: str  # what the marks are
    model: ModelRecord
    cache: CacheRecord
    compile: CompileRecord | None
    cold_call_s: float  # the first call after build (compile excluded), whole sequence
    warmup: WarmupRecord  # whole-sequence times of the warm-up calls
    sequences: tuple[SequenceRecord, ...]  # timed calls, in time order
    stop: StopRecord
    memory: MemoryReading  # peak over warm-up and timed calls, reset after build
    device_path_syncs: int | None  # host syncs the model itself made in one loop call (GPU)
    caller: CallerRecord | None = None
    instrumentation: InstrumentationRecord | None = None
    tokens_checked: int = 0  # sequences whose length was checked (all timed ones, x B)
