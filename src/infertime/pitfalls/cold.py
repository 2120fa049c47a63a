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
        "infertime.pitfalls.cold", {"target": spec, "n": n}, timeout_s, "the cold-start process"
    )
    data["startup_s"] = data.pop("ready_unix") - spawned
    return data


def _child(request: dict[str, Any]) -> dict[str, Any]:
    import torch

    from ..api import prepare_child_target
    from .methods import correct

    with torch.inference_mode():
        target = prepare_child_target(request["target"])
        call = target.prepared.call_for(target.spec.batch_size)
        target.device.synchronize()
        ready = time.time()
        with target.device.activate():
            samples = correct(call, target.device, request["n"])
    return {"ready_unix": ready, "samples_s": samples}


if __name__ == "__main__":
    print(json.dumps(_child(json.loads(sys.argv[1]))))
