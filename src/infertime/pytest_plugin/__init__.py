"""infertime's pytest plugin (entry point `pytest11`, name `infertime`): the `infertime`
fixture, the --infertime-* options and the summary at the end of the run.

Importing it costs nothing when no test uses it: it imports neither torch nor any kind (the
fixture loads what a measurement needs when a test measures). `-p no:infertime` turns it off.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from .state import ITEM_RECORDS, STATE, RunState, add_options, read_options


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    state = config.stash[STATE] = RunState(read_options(config))
    config.pluginmanager.register(_Run(config, state), _RUN)


def pytest_unconfigure(config: pytest.Config) -> None:
    run = config.pluginmanager.get_plugin(_RUN)
    if run is not None:
        config.pluginmanager.unregister(run)


_RUN = "infertime-run"


@pytest.fixture
def infertime(request: pytest.FixtureRequest) -> Any:
    """Inference time, measured correctly: `infertime.latency(model, x)`,
    `infertime.device_time(model, x)` and `infertime.compare(baseline, candidate, x)`, each
    returning infertime's result with assertions that need confidence
    (`assert_faster_than("20 ms")`, `assert_not_slower("5%")`)."""
    from .fixture import Infertime

    return Infertime(request, request.config.stash[STATE].options)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, Any]:
    report = yield
    if report.when == "call" and ITEM_RECORDS in item.stash:
        # Plain dicts: under pytest-xdist they travel to the controller with the report.
        report.infertime = item.stash[ITEM_RECORDS]
    return report


class _Run:
    """Collects every test's records (in the controller under pytest-xdist), writes
    --infertime-json and prints the summary; registered per run by pytest_configure."""

    def __init__(self, config: pytest.Config, state: RunState) -> None:
        self.config = config
        self.state = state
        self.written: list[Any] = []

    @property
    def is_worker(self) -> bool:
        return hasattr(self.config, "workerinput")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        records = getattr(report, "infertime", None)
        if report.when == "call" and records and not self.is_worker:
            self.state.records.extend(records)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        path = self.state.options.json
        if path is None or not self.state.records or self.is_worker:
            return
        from .report import write_json

        self.written = write_json(path, self.state.records, self.config.rootpath)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.state.records or self.is_worker:
            return
        from .report import summary_lines

        terminalreporter.write_sep("-", "infertime: inference time measured in this run")
        for line in summary_lines(self.state.records):
            terminalreporter.write_line(line)
        for path in self.written:
            terminalreporter.write_line(f"infertime: wrote {path}")
