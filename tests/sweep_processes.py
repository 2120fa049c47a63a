"""Processes for sweep tests, run as scripts (no model, no torch):

python sweep_processes.py child KIND MODEL --flags ... --json FILE --quiet
    a stand-in for `python -m infertime KIND ...`: waits SWEEP_FAKE_DELAY_S, writes a valid
    latency result for its flags atomically, then appends its point to SWEEP_FAKE_LOG.
    A model named "oom:..." exits 4 with an out-of-memory message, "crash:..." is killed by
    SIGKILL (a worker that dies mid-point). Forked from the fork server (torch imported), it
    waits SWEEP_FAKE_FORK_DELAY_S instead when that is set.
python sweep_processes.py driver FOLDER ARGS... [--fork]
    a sweep driver on this machine, its children the stand-in above (with --fork, forked from
    infertime's fork server, which has imported torch).
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


def forkserver_command() -> list[str]:
    """infertime's fork server with this stand-in as what its children run."""
    return [sys.executable, "-m", "infertime.cli.forkserver", "--entry", "sweep_processes:child"]


def child(argv: list[str]) -> int:
    from infertime.resultfile import write_text_atomic
    from infertime.sweep.cliargs import parse_grid_args
    from sweep_helpers import latency_document

    out = Path(argv[argv.index("--json") + 1])
    at = argv.index("--json")
    flags = [a for a in argv[:at] + argv[at + 2 :] if a != "--quiet"]
    values = parse_grid_args(flags[0], flags[1:]).fixed
    delay = os.environ.get("SWEEP_FAKE_DELAY_S", "0.2")
    if "torch" in sys.modules:  # forked from the fork server (a fresh stand-in has no torch)
        delay = os.environ.get("SWEEP_FAKE_FORK_DELAY_S", delay)
    time.sleep(float(delay))
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
        torch = sys.modules.get("torch")  # imported only when forked from the fork server
        entry = {
            "argv": flags,
            "visible": os.environ.get("CUDA_VISIBLE_DEVICES"),
            "pid": os.getpid(),
            "ppid": os.getppid(),
            "torch_loaded": torch is not None,
            "threads": torch.get_num_threads() if torch is not None else None,
            "cores": sorted(os.sched_getaffinity(0)),
            "own_session": os.getsid(0) == os.getpid(),
            "sigint_default": signal.getsignal(signal.SIGINT) is signal.default_int_handler,
        }
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry) + "\n")
    return 0


def driver(argv: list[str]) -> int:
    from infertime.sweep.cliargs import parse_grid_args
    from infertime.sweep.driver import SweepSettings, run_sweep
    from infertime.sweep.local import LocalExecutor
    from infertime.sweep.runner import PointRunner, SubprocessRunner
    from sweep_helpers import host

    folder, kind, *args = argv
    resume = "--resume" in args
    runner: PointRunner = SubprocessRunner(child_command())
    if "--fork" in args:
        from infertime.sweep.forkserver import ForkServerRunner

        runner = ForkServerRunner(forkserver_command(), SubprocessRunner(child_command()))
    args = [a for a in args if a not in ("--resume", "--fork")]
    executor = LocalExecutor(runner, host=host())
    run_sweep(parse_grid_args(kind, args), folder, SweepSettings(resume=resume),
              executor=executor)  # fmt: skip
    return 0


if __name__ == "__main__":
    mode, rest = sys.argv[1], sys.argv[2:]
    sys.exit(child(rest) if mode == "child" else driver(rest))
