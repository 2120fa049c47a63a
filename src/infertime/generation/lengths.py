"""The generated length of each sequence, checked against the request; torch-free."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from ..errors import ModelCallError


class GenerationLengthError(ModelCallError):
    """A timed sequence yielded fewer (or more) new tokens than requested: its times would
    describe a different workload (inference-perf PR #83: 338 of 1000 tokens on average)."""


def new_token_count(row: Sequence[int], prompt_len: int, stop_ids: Collection[int]) -> int:
    """New tokens of one output row (prompt first), up to and including the first stop token;
    with no stop ids in effect, every token after the prompt counts."""
    new = row[prompt_len:]
    for i, token in enumerate(new):
        if token in stop_ids:
            return i + 1
    return len(new)


def check_lengths(counts: Sequence[int], requested: int, where: str) -> None:
    """One clear error naming the counts when any sequence's length differs from the request."""
    wrong = [c for c in counts if c != requested]
    if not wrong:
        return
    shown = ", ".join(str(c) for c in counts[:16]) + (" ..." if len(counts) > 16 else "")
    raise GenerationLengthError(
        f"{where}: {len(wrong)} of {len(counts)} sequences did not yield {requested} new tokens "
        f"(new tokens per sequence: {shown})",
        advice="EOS or another stop criterion ended them early; infertime removes EOS from the "
        "call and the generation config, so a custom stopping criterion or logits processor "
        "of the model is the likely cause",
    )
