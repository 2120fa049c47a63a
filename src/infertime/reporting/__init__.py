"""Render results (terminal tables, JSON, plots); never imports torch."""

from .json_io import load_result, save_json

__all__ = ["load_result", "save_json"]
