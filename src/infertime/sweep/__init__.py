"""Sweeps: a grid of configurations, one fresh process per point, resumable, local or on Ray.

Torch-free: the driver imports neither torch nor any model library; every point runs in a
child interpreter (`python -m infertime KIND ... --json FILE`) that does.
"""

from __future__ import annotations

from .driver import SweepReport, SweepSettings, run_sweep
from .grid import Grid, Point
from .specfile import load_grid_file

__all__ = ["Grid", "Point", "SweepReport", "SweepSettings", "load_grid_file", "run_sweep"]
