"""What offline `compare` reads from a saved generation result: device TTFT, TPOT or end to
end per call (the call is the unit), every process's calls where it ran with --processes."""

from __future__ import annotations

from typing import Any

from ..errors import ConfigError
from ..kinds.base import OfflineArm, SavedSamples
from . import figures as fig

# "latency" (compare's default) is a call's latency: the whole sequence, device path.
FIGURES = {"ttft": "ttft_s", "tpot": "tpot_s", "e2e": "e2e_s", "latency": "e2e_s"}


def _key(figure: str) -> str:
    key = FIGURES.get(figure, figure)
    if key not in FIGURES.values():
        raise ConfigError(
            f"generate results are compared by --figure ttft, tpot or e2e (latency: e2e; "
            f"device path, per call), not {figure}"
        )
    return key


def generation_arm(name: str, r: Any, figure: str) -> SavedSamples:
    key = _key(figure)
    if len(r.runs) != 1:
        raise ConfigError(f"{name} is a batch sweep: compare results of one batch each")
    if r.processes and key != "e2e_s":
        groups = tuple(tuple(getattr(p, key)) for p in r.processes)
    else:
        groups = (fig.device_figures(r.run)[key].values,)
    return SavedSamples(groups, 1, None)


OFFLINE = OfflineArm(generation_arm, lambda figure: FIGURES.get(figure, figure))
