"""torch.compile: the module compiled once per call built, outside every timed region.

Compilation happens at the first call of a compiled module, so `build` makes that call itself
and times it (with a synchronize): the compile time is its own figure, never inside warm-up or
samples. Without `--dynamic` every batch size gets its own static compile (`dynamic=False`), and
dynamo's caches are reset first when no other compiled call is alive, so the recompile limit
(8 by default, after which dynamo silently runs eager code) is not reached in a throughput
sweep; configurations compared side by side keep their caches. With `--dynamic`, one compile
with dynamic shapes serves every batch size of the prepared model. While a compiled call is
alive, `torch._dynamo.config.error_on_recompile` is on (off during the priming calls): a
recompilation during warm-up or timing stops the run with a clear error instead of hiding
compile time in the samples (pytorch/pytorch#97699).
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ...errors import ConfigError, ModelCallError, RecompileError, first_line, option
from ...sections import BackendBuild
from .eager import bind_call

if TYPE_CHECKING:
    from ...devices.base import Device
    from ..prepare import PreparedModel


def live_call(run: Callable[[], Any], setup: BackendBuild) -> Callable[[], Any]:
    """The compiled call itself (no wrapper frame in the timed loop), with `setup` (how it was
    compiled, how long that took) and `close()` (the recompile check off again) attached."""
    token = object()
    _LIVE.add(token)
    _check_recompiles()
    # Dropped without close(): the same as closed (the callback holds the token, not the call).
    run.setup = setup  # type: ignore[attr-defined]
    run.close = weakref.finalize(run, _release, token)  # type: ignore[attr-defined]
    return run


_LIVE: set[object] = set()  # a token per compiled call not yet closed or collected
_SAVED: list[bool] = [False]  # the user's own error_on_recompile, restored after the last


def _flag() -> bool:
    import torch._dynamo.config as dynamo_config

    return bool(dynamo_config.error_on_recompile)


def _release(token: object) -> None:
    _LIVE.discard(token)
    _check_recompiles()


def _check_recompiles(on: bool | None = None) -> None:
    """Recompiles are errors exactly while some compiled call is alive (or as `on` says);
    with none alive, the user's own setting is back."""
    import torch._dynamo.config as dynamo_config

    if on is None:
        on = True if _LIVE else _SAVED[0]
    dynamo_config.error_on_recompile = on


def dynamo_reset_allowed() -> bool:
    """Whether dynamo's caches may be reset now: no compiled call built here is alive (a
    reset would drop its graphs, and its next call would recompile). Compiled code timed
    outside the backends (generate's decode loop) asks this before its own reset."""
    return not _LIVE


@contextmanager
def recompiles_are_errors(on: bool = True) -> Iterator[None]:
    """While this runs, a recompilation raises (dynamo's `error_on_recompile`), and after it
    the setting is what it was: for compiled code timed outside the backends (generate's
    decode loop), whose calls are not `live_call`s."""
    if not on:
        yield
        return
    import torch._dynamo.config as dynamo_config

    with dynamo_config.patch(error_on_recompile=True):
        yield


class Compiled:
    name = "compile"

    def check(self, device: Device) -> None:
        import torch

        if not hasattr(torch, "compile"):
            raise ConfigError(f"{option('backend')} compile needs torch 2.0 or later")

    def build(self, prepared: PreparedModel, batch: int) -> Callable[[], Any]:
        import torch
        import torch._dynamo

        spec = prepared.spec
        mode = spec.compile_mode or "default"
        compiled: Any = getattr(prepared, "_compiled_dynamic", None) if spec.dynamic else None
        fresh = compiled is None
        if fresh:
            if not spec.dynamic and not _LIVE:
                torch._dynamo.reset()  # type: ignore[no-untyped-call]
            compiled = torch.compile(prepared.module, mode=mode, dynamic=spec.dynamic)
            if spec.dynamic:
                prepared._compiled_dynamic = compiled  # type: ignore[attr-defined]
        device = prepared.device
        run = bind_call(compiled, prepared, batch)

        if not _LIVE:  # no compiled call of ours alive: the setting is the user's, kept for after
            _SAVED[0] = _flag()
        _check_recompiles(on=False)  # the priming call compiles (or recompiles) for this batch
        t0 = time.perf_counter()
        try:
            run()
            device.synchronize()
        except Exception as exc:
            if device.is_oom(exc):
                raise
            raise ModelCallError(
                f"torch.compile could not compile {prepared.reference}: {first_line(exc)}",
                advice="run it with --backend eager, or see torch._dynamo.explain for the cause",
            ) from None
        finally:
            _check_recompiles()
        compile_s = time.perf_counter() - t0
        setup = BackendBuild(
            backend="compile",
            mode=mode,
            dynamic=spec.dynamic,
            batch=batch,
            compile_s=compile_s,
            fresh_compile=fresh,
            definition="first call of the compiled module at this batch (compilation "
            "included), synchronized; not part of warm-up or samples",
        )
        return live_call(run, setup)


def recompile_error(exc: BaseException, reference: str, batch: int) -> RecompileError | None:
    """dynamo's recompile error as one clear line, or None for any other exception."""
    try:
        from torch._dynamo.exc import RecompileError as DynamoRecompile
    except ImportError:
        return None
    if not isinstance(exc, DynamoRecompile):
        return None
    return RecompileError(
        f"{reference} recompiled during warm-up or timing at batch {batch}: {first_line(exc)}",
        advice="a guard failed (shapes, a Python value the model reads, a counter): make the "
        "model's control flow independent of call history, or pass --dynamic for changing shapes",
    )


COMPILED = Compiled()
