"""Processes for sweep tests, run as scripts (no model, no torch):

python sweep_processes.py child KIND MODEL --flags ... --json FILE --quiet
    a stand-in for `python -m infertime KIND ...`: waits SWEEP_FAKE_DELAY_S, writes a valid
    latency result for its flags atomically, then appends its point to SWEEP_FAKE_LOG.
    A model named "oom:..." exits 4 with an out-of-memory message, "crash:..." is killed by
    SIGKILL (a worker that dies mid-point).
python sweep_processes.py driver FOLDER ARGS...
    a sweep driver on this machine, its children the stand-in above.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def child_command() -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "child"]


def child(argv: list[str]) -> int:
    from infertime.resultfile import write_text_atomic
    from infertime.sweep.cliargs import parse_grid_args
    from sweep_helpers import latency_document

    out = Path(argv[argv.index("--json") + 1])
    at = argv.index("--json")
    flags = [a for a in argv[:at] + argv[at + 2 :] if a != "--quiet"]
    values = parse_grid_args(flags[0], flags[1:]).fixed
    time.sleep(float(os.environ.get("SWEEP_FAKE_DELAY_S", "0.2")))
    model = str(values.get("model"))
    if model.startswith("oom:"):
        print("infertime: error: CUDA out of memory (fake)", file=sys.stderr)
        return 4
    if model.startswith("crash:"):
        os.kill(os.getpid(), signal.SIGKILL)
    device = "cuda:0" if os.environ.get("CUDA_VISIBLE_DEVICES") else "cpu"
    median = 1e-3 * int(values.get("batch_size", 1))
    document = latency_document(values, median, 0, device)
    write_text_atomic(json.dumps(document), out, "the result")
    log = os.environ.get("SWEEP_FAKE_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"argv": flags, "visible": os.environ.get(
                "CUDA_VISIBLE_DEVICES")}) + "\n")  # fmt: skip
    return 0


def driver(argv: list[str]) -> int:
    from infertime.sweep.cliargs import parse_grid_args
    from infertime.sweep.driver import SweepSettings, run_sweep
    from infertime.sweep.local import LocalExecutor
    from infertime.sweep.runner import SubprocessRunner
    from sweep_helpers import host

    folder, kind, *args = argv
    resume = "--resume" in args
    args = [a for a in args if a != "--resume"]
    executor = LocalExecutor(SubprocessRunner(child_command()), host=host())
    run_sweep(parse_grid_args(kind, args), folder, SweepSettings(resume=resume),
              executor=executor)  # fmt: skip
    return 0


if __name__ == "__main__":
    mode, rest = sys.argv[1], sys.argv[2:]
    sys.exit(child(rest) if mode == "child" else driver(rest))
