"""Checks that turn a measurement's data into typed findings with advice."""

from .checks import check_result
from .host import check_environment
from .noise import check_drift, check_series, check_warmup

__all__ = ["check_drift", "check_environment", "check_result", "check_series", "check_warmup"]
