"""What a result kind is, registered once (kinds/__init__.py): its command and options, its
result type and file form, checks, terminal rendering, export table, report figures, its arm
for offline comparisons and its child tasks.

Everything here is declarative and torch-free: `show`, exports, offline `compare` and `--help`
read a kind without importing torch; the measurement itself is imported when it runs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from ..engine.progress import ProgressSink
    from ..records import Diagnostic
    from ..reporting.html.kind_report import KindReport
    from ..reporting.table import Table
    from ..resultfile import KindFormat


@dataclass(frozen=True)
class Opt:
    """A command-line option a kind declares for itself (shared options are named by string).

    `style`: "value" (one value, parsed by `parse` from text), "switch" (present = True),
    "multi" (repeatable, a tuple of parsed values), "toggle" (--x/--no-x, default `default`),
    "argument" (positional), "arguments" (positional, one or more).
    """

    name: str
    flags: tuple[str, ...]
    help: str
    style: str = "value"
    default: Any = None
    parse: Callable[[str], Any] | None = None
    metavar: str | None = None
    hidden: bool = False


class Values:
    """A command's option values by name, as attributes (`values.batch_size`)."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.__dict__.update(values)

    def __getattr__(self, name: str) -> Any:  # an option the command does not take
        raise AttributeError(f"this command has no option {name!r}")

    def get(self, name: str, default: Any = None) -> Any:
        return self.__dict__.get(name, default)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def workload(self, *, batch: bool = True) -> dict[str, Any]:
        """The workload keyword options these values give (every spec field but the model,
        and the batch size only where the command takes one)."""
        from ..specs.text import workload_flags

        out = {}
        for name in workload_flags():
            if name == "model" or (name == "batch_size" and not batch):
                continue
            if name in self.__dict__:
                out[name] = self.__dict__[name]
        return out

    def sampling(self) -> dict[str, Any]:
        """The sampling keyword options these values give (policies.SamplingOptions)."""
        return {
            "preset": self.get("preset", "default"),
            "precision": self.get("precision"),
            "max_time_s": self.get("max_time"),
        }

    def exports(self) -> dict[str, Any]:
        """format -> where to write it, for each --export-FORMAT given."""
        given = {
            "csv": self.get("export_csv"),
            "markdown": self.get("export_markdown"),
            "json": self.get("export_json"),
            "html": self.get("export_html"),
        }
        return {fmt: path for fmt, path in given.items() if path is not None}


@dataclass(frozen=True)
class Command:
    """The CLI command that measures a kind.

    `options`: names of the CLI's shared options (cli/catalog.py: "workload" for every
    workload flag, "sampling", "output", or one name) and the kind's own `Opt`s, in --help
    order. `run` measures and returns the result; `precheck` runs before anything slow,
    `after_measure` (e.g. write a plot) before the result is delivered, `finish` after it
    (e.g. the regression gate's exit code).
    """

    name: str
    help: str
    options: tuple[str | Opt, ...]
    run: Callable[[Values, ProgressSink], Any]
    precheck: Callable[[Values], None] | None = None
    after_measure: Callable[[Values, Any], list[str]] | None = None
    finish: Callable[[Any], None] | None = None


@dataclass(frozen=True)
class SavedSamples:
    """What offline `compare` takes from a saved result: seconds per call (or per item) in
    groups (one, or one per fresh process), and its launch verdict where it has one."""

    groups: tuple[tuple[float, ...], ...]
    calls_per_sample: int
    verdict: str | None = None


@dataclass(frozen=True)
class OfflineArm:
    """How offline `compare` reads one saved result of this kind.

    `samples(name, result, figure)` -> SavedSamples (ConfigError when the result lacks the
    figure); `figure_name(figure)` names what is compared; `per_call` True: times per call,
    so different batch sizes or input shapes are refused unless allowed."""

    samples: Callable[[str, Any, str], SavedSamples]
    figure_name: Callable[[str], str]
    per_call: bool = True


@dataclass(frozen=True)
class Kind:
    """One result kind. Its parts are named "module:attribute" and imported on first use, so
    the registry, `--help` and `--version` stay cheap: `format` (resultfile.KindFormat: the
    result type and file form), `render` (terminal), `table` (exports), `checks` (findings),
    `figures` (`figures(result)`: the data series its report plots, reporting/html/figures.py,
    no drawing), `report` (reporting/html/kind_report.KindReport: how its results show in an
    HTML report, `infertime report` and --export-html; a kind without one gets a section
    saying so), `offline` (OfflineArm, for offline compare),
    `measure` (the public function the generic child task calls in a fresh process), `tasks`
    (the kind's own child tasks, task name -> "module:function"), `live_compare` (compare of
    its configurations live, where compare's own machinery cannot time them), and `command`
    (its CLI command, declared here, light)."""

    name: str
    format_path: str | None  # None: results of this kind are not kept in files
    render_path: str
    table_path: str
    checks_path: str
    command: Command | None = None
    measure: str | None = None
    figures_path: str | None = None
    report_path: str | None = None
    offline_path: str | None = None
    tasks: Mapping[str, str] = field(default_factory=dict)
    # `compare` of this kind's configurations live (generate: generation/compare.py), called
    # with (configs, device, policy, ...) by comparison/api.py, a layer below the kind.
    live_compare_path: str | None = None

    @cached_property
    def format(self) -> KindFormat:
        if self.format_path is None:
            raise TypeError(f"results of kind {self.name} have no file form")
        found: KindFormat = load_attribute(self.format_path)
        return found

    @cached_property
    def render(self) -> Callable[[Any, Console, bool], None]:
        found: Callable[[Any, Console, bool], None] = load_attribute(self.render_path)
        return found

    @cached_property
    def table(self) -> Callable[[Any], Table]:
        found: Callable[[Any], Table] = load_attribute(self.table_path)
        return found

    @cached_property
    def checks(self) -> Callable[[Any], list[Diagnostic]]:
        found: Callable[[Any], list[Diagnostic]] = load_attribute(self.checks_path)
        return found

    @cached_property
    def figures(self) -> Callable[[Any], Sequence[Any]] | None:
        if self.figures_path is None:
            return None
        found: Callable[[Any], Sequence[Any]] = load_attribute(self.figures_path)
        return found

    @cached_property
    def report(self) -> KindReport | None:
        if self.report_path is None:
            return None
        found: KindReport = load_attribute(self.report_path)
        return found

    @cached_property
    def offline(self) -> OfflineArm | None:
        if self.offline_path is None:
            return None
        found: OfflineArm = load_attribute(self.offline_path)
        return found

    @cached_property
    def live_compare(self) -> Callable[..., Any] | None:
        if self.live_compare_path is None:
            return None
        found: Callable[..., Any] = load_attribute(self.live_compare_path)
        return found

    @property
    def result_type(self) -> type[Any]:
        return self.format.result_type


def load_attribute(path: str) -> Any:
    """'package.module:name' -> that object, imported now."""
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)
