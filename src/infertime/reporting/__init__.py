"""Shared rendering: units, progress, diagnostics, any kind's result; never imports torch."""
