"""The browser tests' rule: without Chromium they skip with a reason, except in CI ($CI set),
where its absence fails them (the issue's target is that CI runs them)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).parent


def browser_tests_without_chromium(ci: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["INFERTIME_CHROMIUM"] = "/nonexistent/chromium"  # named, and absent
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs",
         str(TESTS / "test_report_browser.py")],
        capture_output=True, text=True, env=env, cwd=TESTS.parent, timeout=120,
    )  # fmt: skip


def test_without_chromium_the_browser_tests_skip_with_a_reason() -> None:
    pytest.importorskip("matplotlib")
    out = browser_tests_without_chromium(None)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "needs Chromium (apt-get install chromium)" in out.stdout


def test_in_ci_a_missing_chromium_fails() -> None:
    pytest.importorskip("matplotlib")
    out = browser_tests_without_chromium("true")
    assert out.returncode != 0
    assert "CI needs Chromium" in out.stdout + out.stderr
