"""The child side of a fresh-process executor: read the request file, run one task, write the
answer file atomically, exit with the error's exit code when it failed.

Run as `python -m infertime.execution.worker TASK REQUEST_FILE ANSWER_FILE`. stdout and stderr
are the model's and the libraries' (the parent keeps them for the error message); the answer
never goes through them, so a model that prints cannot corrupt it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from ..errors import InfertimeError
from ..resultfile import write_text_atomic

# The process that started this one, when this one is a worker (None in any other process):
# it waits for the answer, so a CUDA context it holds on the same GPU draws no energy of its
# own and is not "another process" to the energy counter (pipeline/energy.py).
PARENT_PID: int | None = None


def answer_error(exc: InfertimeError) -> dict[str, Any]:
    return {
        "error": {
            "type": type(exc).__name__,
            "message": exc.message,
            "advice": exc.advice,
            "exit_code": exc.exit_code,
        }
    }


def main(argv: list[str]) -> int:
    import os
    from contextlib import nullcontext

    from ..errors import command_line
    from . import worker  # run as __main__, this module is a second copy of it
    from .tasks import task_function

    worker.PARENT_PID = os.getppid()
    task_name, request_path, answer_path = argv
    with command_line() if os.environ.get("INFERTIME_FROM_CLI") else nullcontext():
        return run(task_name, request_path, answer_path, task_function)


def run(task_name: str, request_path: str, answer_path: str, task_function: Any) -> int:

    code = 0
    try:
        request = json.loads(Path(request_path).read_text(encoding="utf-8"))
        answer: dict[str, Any] = {"answer": task_function(task_name)(request)}
    except InfertimeError as exc:
        answer, code = answer_error(exc), exc.exit_code
    write_text_atomic(json.dumps(answer), answer_path, "the answer")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
