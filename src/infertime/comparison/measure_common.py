"""What live and offline comparisons decide alike."""

from __future__ import annotations

from collections.abc import Sequence

from .result import Arm


def different_batches(arms: Sequence[Arm]) -> bool:
    """Configurations at different batch sizes (allowed): compared per item."""
    return len({a.settings.workload.batch_size for a in arms}) > 1
