"""--isolate: each batch-search probe in a fresh process, for models whose OOM fragments memory.

The parent sends the run spec as JSON; the child rebuilds the model from its reference, runs
one probe, prints the outcome as JSON on its last line, and exits (its memory goes with it).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from .child import run_json_child
from .engine.batch_search import ProbeOutcome, Prober

PROBE_TIMEOUT_S = 900


def isolated_prober(target: dict[str, Any], memory_fraction: float | None) -> Prober:
    """Probes in fresh processes; `target` is `Target.child_spec()` of a model reference."""

    def probe(batch: int, calls: int, phase: str) -> ProbeOutcome:
        request = {
            "target": target,
            "memory_fraction": memory_fraction,
            "batch": batch,
            "calls": calls,
            "phase": phase,
        }
        answer = run_json_child(
            "infertime.isolated", request, PROBE_TIMEOUT_S, f"isolated probe at batch {batch}"
        )
        return ProbeOutcome.from_dict(answer)

    return probe


def _child(request: dict[str, Any]) -> ProbeOutcome:
    import torch

    from .api import prepare_child_target
    from .engine.batch_search import in_process_prober

    with torch.inference_mode():
        target = prepare_child_target(request["target"])
        device = target.device
        if request.get("memory_fraction") is not None:
            device.limit_memory(request["memory_fraction"])
        with device.activate():
            prober = in_process_prober(target.prepared.call_for, device)
            return prober(request["batch"], request["calls"], request["phase"])


def main(argv: list[str]) -> int:
    from .errors import InfertimeError, OutOfMemoryError

    request = json.loads(argv[0])
    try:
        outcome = _child(request)
    except OutOfMemoryError as exc:  # the model itself did not fit: a failed probe, not an error
        outcome = ProbeOutcome(
            request["batch"],
            False,
            request["phase"],
            request["calls"],
            0.0,
            None,
            None,
            None,
            exc.one_line(),
        )
    except InfertimeError as exc:
        print(exc.one_line(), file=sys.stderr)
        return exc.exit_code
    print(json.dumps(outcome.to_dict()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
