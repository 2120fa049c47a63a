"""The README's picture of a report: a real CPU run and its HTML report, made with the commands
a user types (`infertime run ... --json`, then `infertime report`), a headless-Chromium
screenshot of its top, palette-quantized to stay small (≤ 150 KB). Regenerate with

    PYTHONPATH=src python benchmarks/report_screenshot.py --out docs/report-screenshot.png

Needs Debian's `chromium` (apt-get install chromium), timm and matplotlib; about a minute on
two CPU cores.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from report_browser import Chromium, find_chromium


def infertime(folder: Path, *args: str) -> None:
    """One `infertime` command run in `folder`, as a user runs it (this interpreter, this
    sys.path), so that the report names its file as the user typed it."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(os.path.abspath(p) for p in sys.path)}
    subprocess.run([sys.executable, "-m", "infertime", *args], check=True, env=env, cwd=folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/report-screenshot.png"))
    parser.add_argument("--model", default="timm:mobilenetv3_small_100")
    parser.add_argument("--width", type=int, default=1200)
    parser.add_argument("--height", type=int, default=1000)
    parser.add_argument("--colours", type=int, default=64)
    args = parser.parse_args()
    chromium = find_chromium()
    if chromium is None:
        raise SystemExit("needs Chromium: apt-get install chromium")
    from PIL import Image

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        run, page = folder / "run.json", folder / "report.html"
        # --runs 662: exactly the samples a p99 needs (MLPerf's floor), so the tails show.
        infertime(
            folder, "run", args.model, "--device", "cpu", "--threads", "1", "--runs", "662",
            "--json", run.name, "-q",
        )  # fmt: skip
        infertime(
            folder, "report", run.name, "-o", page.name, "-q",
            "--title", f"infertime report: {args.model} on a CPU",
        )  # fmt: skip
        with Chromium(chromium) as browser:
            log = browser.open(page, width=args.width, height=args.height)
            if log.requests or log.console_errors:
                raise SystemExit(f"report not clean: {log.requests} {log.console_errors}")
            png = browser.screenshot(args.width, args.height)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    small = image.quantize(colors=args.colours, method=Image.Quantize.MEDIANCUT)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    small.save(args.out, optimize=True)
    print(f"{args.out}: {args.out.stat().st_size / 1e3:.0f} kB, {args.width}×{args.height}")


if __name__ == "__main__":
    main()
