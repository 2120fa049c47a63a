"""The plugin's command-line options, read and checked once, and what a run collects.
torch-free: pytest loads this whenever the plugin is installed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ..errors import ConfigError
from .thresholds import parse_share

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
DEFAULT_STORAGE = ".infertime"


@dataclass(frozen=True)
class Options:
    """--infertime-* as given; `storage` is where --infertime-save writes (and
    --infertime-compare reads) one result file per measurement."""

    save: str | None = None
    compare: str | None = None
    fail_if_slower: float | None = None
    json: Path | None = None
    storage: Path = Path(DEFAULT_STORAGE)
    device: str = "auto"
    trust_single_process: bool = False


@dataclass
class RunState:
    """What the controller (or the only process) collects from every test's report."""

    options: Options
    records: list[dict[str, Any]] = field(default_factory=list)


STATE = pytest.StashKey[RunState]()
ITEM_RECORDS = pytest.StashKey[list[dict[str, Any]]]()


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("infertime", "inference time, measured correctly (infertime)")
    group.addoption(
        "--infertime-save", metavar="NAME", default=None,
        help="Save each measurement as an infertime result file under STORAGE/NAME/.",
    )  # fmt: skip
    group.addoption(
        "--infertime-compare", metavar="NAME", default=None,
        help="Compare each latency measurement with the one saved as NAME (offline compare: "
        "time ratio with its CI); a missing or damaged saved result fails that test.",
    )  # fmt: skip
    group.addoption(
        "--infertime-fail-if-slower", metavar="SHARE", default=None,
        help="Gate every comparison (saved and live) at this slowdown, e.g. 5%%: a test fails "
        "when slower beyond it with 95 %% confidence, or when the data cannot tell.",
    )  # fmt: skip
    group.addoption(
        "--infertime-json", metavar="FILE", default=None,
        help="Write infertime's results to FILE and the same timings in pytest-benchmark's "
        "JSON layout to FILE's name with .benchmark.json (dashboards read it).",
    )  # fmt: skip
    group.addoption(
        "--infertime-storage", metavar="DIR", default=None,
        help=f"Where --infertime-save and --infertime-compare keep results "
        f"(default: {DEFAULT_STORAGE} in the rootdir).",
    )  # fmt: skip
    group.addoption(
        "--infertime-device", metavar="DEVICE", default="auto",
        help="Default device of the infertime fixture: auto, cpu, cuda or cuda:N.",
    )  # fmt: skip
    group.addoption(
        "--infertime-trust-single-process", action="store_true", default=False,
        help="Let saved single-process results of a host-bound figure (a CPU) decide the gate.",
    )  # fmt: skip


def read_options(config: pytest.Config) -> Options:
    """The options, checked: a bad one is a usage error naming it (pytest exits 4)."""
    try:
        share = config.getoption("infertime_fail_if_slower")
        fail_if_slower = (
            parse_share(share, "--infertime-fail-if-slower") if share is not None else None
        )
    except ConfigError as exc:
        raise pytest.UsageError(exc.one_line()) from None
    names = {}
    for flag in ("save", "compare"):
        name = config.getoption(f"infertime_{flag}")
        if name is not None and not _NAME.match(name):
            raise pytest.UsageError(
                f"--infertime-{flag} takes a name of letters, digits, '.', '_' and '-' (a "
                f"folder under the storage), got {name!r}"
            )
        names[flag] = name
    device = str(config.getoption("infertime_device")).strip()
    if not re.match(r"^(auto|cpu|cuda(:\d+)?)$", device):
        raise pytest.UsageError(
            f"--infertime-device takes auto, cpu, cuda or cuda:N, got {device!r}"
        )
    storage = config.getoption("infertime_storage")
    json_file = config.getoption("infertime_json")
    if json_file is not None and (not str(json_file).strip() or Path(json_file).is_dir()):
        raise pytest.UsageError(f"--infertime-json takes a file name, got {json_file!r}")
    return Options(
        save=names["save"],
        compare=names["compare"],
        fail_if_slower=fail_if_slower,
        json=Path(json_file) if json_file else None,
        storage=Path(storage) if storage else config.rootpath / DEFAULT_STORAGE,
        device=device,
        trust_single_process=bool(config.getoption("infertime_trust_single_process")),
    )
