"""The energy probe's targets for generation (pipeline/energy.py): one call is one whole
generation of B sequences (prefill and N - 1 decode steps, EOS impossible, no per-step
marks), so the section's energy per item is per sequence and its energy per token is per
generated token (B x N tokens a call): total and above idle, CIs over windows."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from .. import stats
from ..comparison.configs import Config
from ..pipeline.energy import EnergyTarget
from .interleave import InterleavedSequences
from .spec import GenerationSpec


def energy_target(
    name: str, loops: Sequence[Any], spec: GenerationSpec, whole_s: float
) -> EnergyTarget:
    """Decode loops' whole calls (a comparison's copies, in turn), B sequences and B x N new
    tokens each; `whole_s`: a call's median time from the timed figures."""
    return EnergyTarget(
        name,
        [partial(loop.run, False) for loop in loops],
        spec.batch_size,
        tokens_per_call=spec.batch_size * spec.new_tokens,
        call_s=whole_s,
    )


def energy_targets(
    configs: Sequence[Config],
    specs: Sequence[GenerationSpec],
    loops: Sequence[Any],
    owners: Sequence[int],
    run: InterleavedSequences,
) -> list[EnergyTarget]:
    """A comparison's targets: each configuration's loops (its copies), with the median whole
    call of all of them."""
    out = []
    for i, (c, spec) in enumerate(zip(configs, specs, strict=True)):
        mine = [arm for arm, owner in enumerate(owners) if owner == i]
        whole = stats.median([s.whole_s for a in mine for calls in run.rounds[a] for s in calls])
        out.append(energy_target(c.name, [loops[a] for a in mine], spec, whole))
    return out
