"""How long `infertime --version` and `infertime --help` take, against `python -c pass`.

Target (issue 18): no torch imported, and at most 0.3 s each on the 2-core CI machine. Prints
a table of medians over fresh processes and writes JSON with the raw times.

    python benchmarks/import_time.py [--runs 15] [--out docs/validation/raw/import_time.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

CASES = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "infertime --version": [sys.executable, "-m", "infertime", "--version"],
    "infertime --help": [sys.executable, "-m", "infertime", "--help"],
    "infertime run --help": [sys.executable, "-m", "infertime", "run", "--help"],
    "import infertime": [sys.executable, "-c", "import infertime"],
}
TORCH_CHECK = (
    "import sys\nfrom infertime.cli.app import main\nmain({args!r})\n"
    "print('torch imported' if 'torch' in sys.modules else 'no torch')"
)


def time_once(argv: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    raw: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(args.runs):  # interleaved, so host drift falls on every case alike
        for name, argv in CASES.items():
            raw[name].append(time_once(argv))
    torch_free = {}
    for flags in (["--version"], ["--help"], ["run", "--help"]):
        code = TORCH_CHECK.format(args=flags)
        out = (
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=False
            )
            .stdout.strip()
            .splitlines()
        )
        torch_free[" ".join(flags)] = bool(out) and out[-1] == "no torch"
    base = statistics.median(raw["python -c pass"])
    print(f"{'command':<24} {'median':>9} {'min':>9} {'over python':>12}")
    for name, times in raw.items():
        med = statistics.median(times)
        print(f"{name:<24} {med:>8.3f}s {min(times):>8.3f}s {med - base:>+11.3f}s")
    for flags, free in torch_free.items():
        print(f"infertime {flags}: {'no torch imported' if free else 'TORCH IMPORTED'}")
    if args.out:
        args.out.write_text(
            json.dumps(
                {
                    "date": time.strftime("%Y-%m-%d"),
                    "host": platform.node(),
                    "cpu_count": __import__("os").cpu_count(),
                    "python": platform.python_version(),
                    "runs": args.runs,
                    "seconds": raw,
                    "torch_free": torch_free,
                },
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
