"""The caller's path: `model.generate()` as users call it, timed whole on the host clock, and
streamed, each token's arrival at a streamer stamped on the host clock (what a streaming
caller sees: host-visible inter-token latency).

Greedy, exactly N new tokens: EOS is taken off the call's generation config and the model's
(transformers PR #29114), so only the length criterion stops. The prompt comes with an
all-ones attention mask, as a tokenizer returns it. A static cache is asked for the way users
ask (`cache_implementation="static"`, `max_cache_len`); generate() then compiles its decode
forward by itself on a GPU (`_valid_auto_compile_criteria`), which it is told not to do under
`--backend eager`, so that each path is what its label says.

generate() reads a device value on the host every step (`unfinished_sequences.max() == 0` in
StopCheck, transformers generation/utils.py), and a streamer gets `tokens.cpu()`: the count
of such waits comes from PyTorch's sync debug mode, on a GPU only.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any, TypeVar

from ..devices.base import Device
from ..telemetry.host_sync import count_host_syncs
from .definitions import TokenTrace
from .lengths import check_lengths, new_token_count
from .model import BuiltModel
from .records import CallerRecord
from .spec import GenerationPolicy, GenerationSpec


def generation_config(built: BuiltModel, spec: GenerationSpec) -> Any:
    """The config every generate() call gets: greedy, N new tokens, no EOS, the spec's cache."""
    gen = copy.deepcopy(built.module.generation_config)
    gen.eos_token_id = None
    gen.do_sample = False
    gen.num_beams = 1
    gen.max_new_tokens = spec.new_tokens
    gen.min_new_tokens = None
    gen.max_length = None
    for name in ("temperature", "top_p", "top_k"):  # sampling settings warn under greedy
        if hasattr(gen, name):
            setattr(gen, name, None)
    if spec.cache == "static":
        gen.cache_implementation = "static"
        gen.max_cache_len = spec.cache_len
    if spec.backend == "compile":
        gen.disable_compile = False
        try:
            from transformers import CompileConfig

            gen.compile_config = CompileConfig(
                mode=spec.resolved_compile_mode or "reduce-overhead", backend=spec.compile_backend
            )
        except ImportError:  # transformers before 4.47: no compile_config
            pass
    else:
        gen.disable_compile = True
    return gen


def described(gen: Any) -> tuple[str, ...]:
    """The settings that decide what generate() does, as text for the record."""
    keys = (
        "max_new_tokens",
        "do_sample",
        "num_beams",
        "eos_token_id",
        "cache_implementation",
        "max_cache_len",
        "disable_compile",
    )
    out = [f"{k}={getattr(gen, k, None)!r}" for k in keys]
    cc = getattr(gen, "compile_config", None)
    if cc is not None and not getattr(gen, "disable_compile", False):
        out.append(f"compile_config=(mode={cc.mode!r}, backend={cc.backend!r})")
    return (*out, "attention_mask=ones (as a tokenizer returns it)")


class TokenClock:
    """A generate() streamer that stamps each put on the host clock; the first put is the
    prompt (generate() streams it before the first step) and is not a token."""

    def __init__(self) -> None:
        self.stamps_ns: list[int] = []
        self.sizes: list[int] = []
        self.prompt_seen = False

    def put(self, value: Any) -> None:
        now = time.perf_counter_ns()
        if not self.prompt_seen:
            self.prompt_seen = True
            return
        self.stamps_ns.append(now)
        self.sizes.append(int(value.shape[-1]) if value.dim() > 1 else 1)

    def end(self) -> None:
        return None


def _streamer(clock: TokenClock) -> Any:
    """TokenClock as a transformers BaseStreamer (the class generate() type-checks for)."""
    from transformers.generation.streamers import BaseStreamer

    class _Stream(BaseStreamer):  # type: ignore[misc]
        def put(self, value: Any) -> None:
            clock.put(value)

        def end(self) -> None:
            clock.end()

    return _Stream()


class Caller:
    """generate() on the loop's prompt, with the spec's settings."""

    def __init__(self, built: BuiltModel, spec: GenerationSpec, device: Device, prompt: Any):
        import torch

        self.built, self.spec, self.device, self.prompt = built, spec, device, prompt
        self.mask = torch.ones_like(prompt)
        self.gen = generation_config(built, spec)
        built.module.generation_config.eos_token_id = None  # both places (PR #29114)

    def call(self, streamer: Any = None) -> Any:
        return self.built.module.generate(
            input_ids=self.prompt,
            attention_mask=self.mask,
            generation_config=self.gen,
            streamer=streamer,
        )

    def check(self, output: Any, where: str) -> None:
        """Exactly N new tokens in every row (no stop ids are in effect, so the width says it)."""
        rows = output.tolist()
        counts = [new_token_count(r, self.spec.prompt_len, ()) for r in rows]
        check_lengths(counts, self.spec.new_tokens, where)

    def timed(self) -> float:
        t0 = time.perf_counter_ns()
        out = self.call()
        self.device.synchronize()
        elapsed = (time.perf_counter_ns() - t0) * 1e-9
        self.check(out, "generate()")
        return elapsed

    def streamed(self) -> TokenTrace:
        clock = TokenClock()
        t0 = time.perf_counter_ns()
        out = self.call(_streamer(clock))
        self.device.synchronize()
        t_end = time.perf_counter_ns()
        self.check(out, "generate() with a streamer")
        check_lengths([len(clock.stamps_ns)], self.spec.new_tokens, "streamed tokens")
        times = tuple((s - t0) * 1e-9 for s in clock.stamps_ns)
        return TokenTrace(times, (t_end - t0) * 1e-9, "host clock, streamed via generate()")


T = TypeVar("T")


def _repeat(call: Callable[[], T], policy: GenerationPolicy) -> list[T]:
    """Calls until the max count, or the min count once the time allowed has passed."""
    out: list[T] = []
    t0 = time.perf_counter()
    while len(out) < policy.caller_max_calls:
        out.append(call())
        spent = time.perf_counter() - t0
        if len(out) >= policy.caller_min_calls and spent >= policy.caller_max_time_s:
            break
    return out


def run_caller(
    built: BuiltModel,
    spec: GenerationSpec,
    device: Device,
    prompt: Any,
    policy: GenerationPolicy,
    on_progress: Callable[[str], None] = lambda _detail: None,
) -> tuple[CallerRecord, Any]:
    """Warm-up calls, whole calls, streamed calls, and the host syncs of one call; returns the
    record and the tokens of the last whole call (to compare with the device path's)."""
    caller = Caller(built, spec, device, prompt)
    for _ in range(policy.caller_warmup_calls):
        caller.check(caller.call(), "generate() warm-up")
    on_progress("generate() whole calls")
    latency = tuple(_repeat(caller.timed, policy))
    last = caller.call()
    on_progress("generate() streamed calls")
    streamed = tuple(_repeat(caller.streamed, policy))
    syncs: int | None = None
    if device.kind != "cuda":
        note = f"not counted: PyTorch's sync debug mode sees GPU waits only ({device.kind})"
    elif not policy.count_syncs:
        note = "not counted (turned off)"
    else:
        syncs = count_host_syncs(caller.call, device)
        note = (
            "synchronizing operations in one generate() call (PyTorch sync debug mode; "
            "explicit synchronize calls and some ops are not seen)"
            if syncs is not None
            else "this torch cannot count them"
        )
    record = CallerRecord(
        generate_kwargs=described(caller.gen),
        warmup_calls=policy.caller_warmup_calls,
        latency_s=latency,
        streamed=streamed,
        host_syncs_per_call=syncs,
        syncs_note=note,
        compiled_by_generate=getattr(built.module, "_compiled_call", None) is not None,
        new_tokens=spec.new_tokens,
        batch_size=spec.batch_size,
    )
    return record, last[:, spec.prompt_len :]
