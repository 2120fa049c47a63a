"""The energy probe's targets for generation (pipeline/energy.py): one call is one whole
generation of B sequences (prefill and N - 1 decode steps, EOS impossible, no per-step
marks), so the section's energy per item is per sequence and its energy per token is per
generated token (B x N tokens a call): total and above idle, CIs over windows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import stats
from ..comparison.configs import Config
from ..pipeline.energy import EnergyTarget
from .interleave import InterleavedSequences
from .spec import GenerationSpec


def energy_target(name: str, loop: Any, spec: GenerationSpec, whole_s: float) -> EnergyTarget:
    """One decode loop's whole calls, B sequences and B x N new tokens each; `whole_s`: a
    call's median time from the timed figures."""
    return EnergyTarget(
        name,
        [lambda: loop.run(False)],
        spec.batch_size,
        tokens_per_call=spec.batch_size * spec.new_tokens,
        call_s=whole_s,
    )


def energy_targets(
    configs: Sequence[Config],
    specs: Sequence[GenerationSpec],
    loops: Sequence[Any],
    run: InterleavedSequences,
) -> list[EnergyTarget]:
    """A comparison's targets: each configuration's loop, with its median whole call."""
    return [
        energy_target(
            c.name, loop, spec, stats.median([s.whole_s for calls in rounds for s in calls])
        )
        for c, spec, loop, rounds in zip(configs, specs, loops, run.rounds, strict=True)
    ]
