"""Bar charts with error bars, in the style of the article's figures 2 and 3 (matplotlib extra)."""

from __future__ import annotations

import importlib
import os
import tempfile
from pathlib import Path
from types import ModuleType

from ..errors import MissingDependencyError, ResultFileError
from ..writing import new_file_mode
from .result import SHORT_LABELS, PitfallsResult


def pyplot() -> ModuleType:
    try:
        matplotlib = importlib.import_module("matplotlib")
    except ImportError:
        raise MissingDependencyError("matplotlib", "plot", "--plot") from None
    matplotlib.use("Agg")
    return importlib.import_module("matplotlib.pyplot")


def plot_pitfalls(r: PitfallsResult, path: str | os.PathLike[str]) -> Path:
    """Mean with ± std error bars per method; the correct median as a line. Written atomically."""
    plt = pyplot()
    rows = [row for row in r.rows if row.applies and row.code != "single_sample"]
    names = [SHORT_LABELS.get(row.code, row.code) for row in rows]
    means = [row.summary.mean * 1e3 for row in rows]
    stds = [row.summary.std * 1e3 for row in rows]
    colours = ["#2a9d8f" if row.code == "correct" else "#e76f51" for row in rows]
    fig, ax = plt.subplots(figsize=(max(6.0, 1.8 * len(rows)), 4.5))
    lower = [min(s, m) for s, m in zip(stds, means, strict=True)]  # never below zero
    ax.bar(range(len(rows)), means, yerr=[lower, stds], capsize=6, color=colours)
    medians = [row.summary.median * 1e3 for row in rows]
    ax.plot(range(len(rows)), medians, "D", color="black", markersize=5, label="median")
    ax.axhline(
        r.reference_s * 1e3, color="#264653", linestyle="--", linewidth=1, label="correct median"
    )
    ax.set_xticks(range(len(rows)), names, fontsize=8)
    ax.set_ylabel("time per call (ms): mean, ± std")
    skipped = [row.label for row in r.rows if not row.applies]
    if skipped:
        ax.text(
            0.99,
            0.97,
            "not on this device:\n" + "\n".join(skipped),
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=7,
            color="#555555",
        )
    s = r.settings
    ax.set_title(f"{s.model}, batch {s.batch_size}, {s.dtype_label}, {s.device}", fontsize=10)
    ax.legend()
    fig.tight_layout()
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".png", dir=target.parent or ".")
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=120)
        os.chmod(tmp, new_file_mode())  # mkstemp makes 0600; readable like the result file
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ResultFileError(f"cannot write plot to {target}: {exc}") from exc
    finally:
        plt.close(fig)
    return target
