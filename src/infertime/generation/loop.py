"""The device path: an own prefill + greedy decode loop on the model's KV cache, with a mark
before prefill, after the first token is chosen, and after every decode step.

Nothing in the loop makes the host wait for the device: no `.item()`, `.tolist()`, `.cpu()`
or Python condition on a device tensor; the next token is chosen on the device (argmax) and
written into a preallocated buffer on the device. The one synchronize is after the last mark,
and the marks are read after it. So on a GPU the host queues steps ahead of the device and
the marks show the device's own timeline (what `generate()` cannot show: it reads
`unfinished_sequences.max() == 0` on the host every step). The model's own code may still
synchronize (a mask check, a Python branch on a tensor): the GPU run counts those apart
(`device_path_syncs`).

The number of steps is fixed by the loop, so every sequence yields exactly N tokens whatever
the weights choose; EOS is just another token here.
"""

from __future__ import annotations

from typing import Any

from ..devices.base import Device
from .marks import Marks, new_marks
from .model import BuiltModel, random_prompt
from .records import SequenceRecord
from .spec import GenerationSpec


def new_static_cache(config: Any, max_cache_len: int, batch: int, dtype: Any, device: Any) -> Any:
    """transformers' StaticCache (5.x signature; 4.x wanted batch, device and dtype too)."""
    from transformers import StaticCache

    try:
        return StaticCache(config=config, max_cache_len=max_cache_len)
    except TypeError:
        return StaticCache(
            config=config,
            max_batch_size=batch,
            max_cache_len=max_cache_len,
            device=device,
            dtype=dtype,
        )


def new_dynamic_cache(config: Any) -> Any:
    from transformers import DynamicCache

    try:
        return DynamicCache(config=config)
    except TypeError:  # transformers 4.x took no config
        return DynamicCache()


def cache_bytes(cache: Any) -> int | None:
    """Bytes held by the cache's key and value tensors, where its layers expose them."""
    layers = getattr(cache, "layers", None)
    if layers is None:
        return None
    total = 0
    for layer in layers:
        for name in ("keys", "values"):
            t = getattr(layer, name, None)
            if t is not None and hasattr(t, "nbytes"):
                total += int(t.nbytes)
    return total or None


class DecodeLoop:
    """Prefill + N - 1 greedy decode steps for a batch of B random prompts, marked."""

    def __init__(
        self, built: BuiltModel, spec: GenerationSpec, device: Device, marks: Marks | None = None
    ) -> None:
        import torch

        from .model import torch_dtype

        self.built = built
        self.spec = spec
        self.device = device
        self.torch_device = getattr(device, "torch_device", None)
        self.marks = marks if marks is not None else new_marks(device)
        self.prompt = random_prompt(built.config, spec, self.torch_device)
        p, n, b = spec.prompt_len, spec.new_tokens, spec.batch_size
        self.tokens = torch.zeros((b, p + n), dtype=torch.long, device=self.torch_device)
        self.tokens[:, :p] = self.prompt
        self._cache_kw = built.cache_argument
        args = built.forward_arguments
        # As generate() does: prefill computes logits for the last position only.
        self._prefill_kw: dict[str, Any] = {"use_cache": True}
        if "logits_to_keep" in args:
            self._prefill_kw["logits_to_keep"] = 1
        elif "num_logits_to_keep" in args:
            self._prefill_kw["num_logits_to_keep"] = 1
        self.prefill: Any = built.module
        self.decode: Any = built.module
        self.static: Any = None
        if spec.cache == "static":
            assert spec.cache_len is not None
            self.static = new_static_cache(
                built.config, spec.cache_len, b, torch_dtype(spec.dtype), self.torch_device
            )
        self.last_cache: Any = None

    def compile_decode(self, mode: str, backend: str) -> None:
        """Decode steps through torch.compile (static shapes); prefill stays eager, as
        generate() keeps it (transformers modeling_utils.get_compiled_call)."""
        import torch

        self.decode = torch.compile(self.built.module, mode=mode, backend=backend, dynamic=False)

    def _fresh_cache(self) -> Any:
        if self.static is not None:
            self.static.reset()  # zero in place: the tensors keep their (static) addresses
            return self.static
        return new_dynamic_cache(self.built.config)

    def run(self, per_step: bool = True) -> tuple[float, float, float, tuple[float, ...]]:
        """One call: (ttft_s, decode_s, whole_s, step_s). Marks: before prefill, after the
        first token, then after each decode step (per_step) or only after the last one."""
        p, n = self.spec.prompt_len, self.spec.new_tokens
        marks, tokens, cache_kw = self.marks, self.tokens, self._cache_kw
        cache = self._fresh_cache()
        marks.reset(n + 1 if per_step else 3)
        marks.mark()
        out = self.prefill(input_ids=self.prompt, **{cache_kw: cache}, **self._prefill_kw)
        token = out.logits[:, -1, :].argmax(dim=-1)
        tokens[:, p] = token
        marks.mark()
        decode = self.decode
        for k in range(1, n):
            out = decode(input_ids=token[:, None], **{cache_kw: cache}, use_cache=True)
            token = out.logits[:, -1, :].argmax(dim=-1)
            tokens[:, p + k] = token
            if per_step:
                marks.mark()
        if not per_step:
            marks.mark()
        del out
        self.device.synchronize()
        self.last_cache = cache
        iv = marks.intervals_s()
        whole = marks.span_s()
        if per_step:
            steps = tuple(iv[1:])
            return iv[0], sum(steps), whole, steps
        return iv[0], iv[1], whole, ()

    def record(self, index: int, per_step: bool = True) -> SequenceRecord:
        """One call as a record (host start time kept for ordering)."""
        start_ns = self.device.now_ns()
        ttft, decode, whole, steps = self.run(per_step)
        return SequenceRecord(index, ttft, decode, whole, steps, start_ns)

    def generated(self) -> Any:
        """The last call's new tokens (B x N), on the device; read only after timing."""
        return self.tokens[:, self.spec.prompt_len :]

    def measured_cache(self) -> tuple[int | None, int | None]:
        """(bytes of keys + values, tokens per sequence they hold) after the last call."""
        if self.last_cache is None:
            return None, None
        held = self.spec.cache_len or (self.spec.total_len - 1)  # the last token is not fed
        return cache_bytes(self.last_cache), held
