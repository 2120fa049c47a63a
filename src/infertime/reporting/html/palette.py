"""Colours and line styles by role: the Okabe-Ito palette, readable with colour blindness."""

from __future__ import annotations

from typing import Any

COLOURS = {
    "data": "#0072B2",
    "other": "#56B4E9",
    "good": "#009E73",
    "bad": "#D55E00",
    "warmup": "#999999",
    "flag": "#CC0000",
    "median": "#000000",
    "reference": "#555555",
    "limit": "#E69F00",
}
CYCLE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#999999")
BAND_COLOURS = {"median": "#0072B2", "reference": "#555555", "limit": "#E69F00"}
BAND_ALPHA = {"median": 0.18, "reference": 0.12, "limit": 0.15, "other": 0.15}


def colour(role: str, index: int = 0) -> str:
    """A role's colour; "data" lines after the first take the next colour of the cycle."""
    if role == "data" and index > 0:
        return CYCLE[index % len(CYCLE)]
    return COLOURS.get(role, COLOURS["data"])


def level_style(role: str) -> dict[str, Any]:
    """How a level line looks: a median solid, a reference dashed, a limit dash-dotted."""
    styles: dict[str, dict[str, Any]] = {
        "median": {"linestyle": "-", "linewidth": 1.0},
        "reference": {"linestyle": "--", "linewidth": 0.9},
        "limit": {"linestyle": "-.", "linewidth": 1.1},
    }
    return {"color": colour(role), **styles.get(role, {"linestyle": ":", "linewidth": 1.0})}


def band_colour(role: str) -> str:
    """A CI around a median is tinted like the data; other bands take their role's colour."""
    return BAND_COLOURS.get(role, colour(role))
