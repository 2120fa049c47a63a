"""No warm-up: the first calls of a fresh process, timed correctly but with nothing before them.

Run as `python -m infertime.pitfalls.cold '<json spec>'`; prints one JSON line: when the model
was ready (wall clock, so the parent can count interpreter start, imports, model build and device
initialisation) and the first n calls' latencies.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from ..child import run_json_child


def run_cold(spec: dict[str, Any], n: int, timeout_s: float = 600) -> dict[str, Any]:
    """Measure in a fresh interpreter so that nothing is initialised yet."""
    spawned = time.time()
    data = run_json_child(
        "infertime.pitfalls.cold", {**spec, "n": n}, timeout_s, "the cold-start process"
    )
    data["startup_s"] = data.pop("ready_unix") - spawned
    return data


def _child(spec: dict[str, Any]) -> dict[str, Any]:
    import torch

    from ..api import prepare_target
    from .methods import correct

    with torch.inference_mode():
        target = prepare_target(
            spec["model"],
            None,
            device=spec["device"],
            batch_size=spec["batch"],
            input_shape=spec.get("input_shape"),
            dtype=spec["dtype"],
            autocast=spec["autocast"],
            channels_last=spec["channels_last"],
            threads=spec.get("threads"),
            seed=spec["seed"],
        )
        call = target.prepared.call_for(spec["batch"])
        target.device.synchronize()
        ready = time.time()
        with target.device.activate():
            samples = correct(call, target.device, spec["n"])
    return {"ready_unix": ready, "samples_s": samples}


if __name__ == "__main__":
    print(json.dumps(_child(json.loads(sys.argv[1]))))
