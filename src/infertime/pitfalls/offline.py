"""What offline `compare` reads from a saved pitfalls result: the correct method's latency."""

from __future__ import annotations

from ..kinds.base import OfflineArm, SavedSamples
from .result import PitfallsResult


def pitfalls_arm(name: str, r: PitfallsResult, figure: str) -> SavedSamples:
    return SavedSamples((tuple(r.row("correct").samples_s),), 1)


OFFLINE = OfflineArm(pitfalls_arm, lambda figure: "latency")
