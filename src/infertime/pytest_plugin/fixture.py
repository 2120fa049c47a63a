"""The `infertime` fixture: latency, device time and interleaved comparisons inside a test,
measured with the API, placed on a device of their own, saved and compared as asked, and
failing with the model's own error when the model raises."""

from __future__ import annotations

import copy
import sys
from dataclasses import asdict
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest

from ..errors import (
    ConfigError,
    DeviceUnavailableError,
    InfertimeError,
    InputShapeError,
    ModelCallError,
)
from . import placement, registered, storage
from .outcomes import figure_of, not_slower
from .records import compare_record, latency_record
from .results import TimedComparison, TimedDeviceTime, TimedLatency, as_timed, attach, note
from .state import ITEM_RECORDS, Options
from .thresholds import parse_share, share_text

# Keyword options of infertime.compare the fixture passes on (the workload's go to each model).
COMPARE_OPTIONS = frozenset(
    {"figure", "preset", "precision", "max_time_s", "seed", "processes", "copies", "threads",
     "allow_different"}
)  # fmt: skip


class Infertime:
    """What a test gets as `infertime`: `latency`, `device_time` and `compare`, each returning
    the API's result (LatencyResult, CompareResult) with assertions that need confidence."""

    def __init__(self, request: pytest.FixtureRequest, options: Options) -> None:
        self._request = request
        self._options = options
        self._labels: dict[str, int] = {}

    # -- what a test calls ----------------------------------------------------------------

    def latency(self, model: Any, *inputs: Any, name: str | None = None, **options: Any) -> Any:
        """Latency per call (the article's method) of `model` on inputs shaped like `inputs`
        (infertime.measure_latency, without its CUPTI pass); `result.assert_faster_than`
        reads latency."""
        __tracebackhide__ = True
        return self._measure(TimedLatency, "latency", model, inputs, name, options)

    def device_time(self, model: Any, *inputs: Any, name: str | None = None, **options: Any) -> Any:
        """As `latency`; `assert_faster_than` reads device time per call (pipelined), which a
        GPU measures apart; on a CPU it is the same quantity as latency, which is read."""
        __tracebackhide__ = True
        return self._measure(TimedDeviceTime, "device_time", model, inputs, name, options)

    def compare(
        self,
        baseline: Any,
        candidate: Any,
        *inputs: Any,
        names: tuple[str, str] | None = None,
        fail_if_slower: str | float | None = None,
        **options: Any,
    ) -> Any:
        """Baseline and candidate interleaved in this process (infertime.compare): time
        ratio candidate / baseline with its CI, copies of each model as a random effect.
        Models are modules, callables (on `inputs`) or references ('timm:resnet18 --dtype
        bf16'). With `fail_if_slower` ('5%', else --infertime-fail-if-slower) it is a gate:
        it samples until its CI can judge that threshold (precision half of it) and fails
        the test on a regression or an inconclusive result."""
        __tracebackhide__ = True
        threshold = self._threshold(fail_if_slower)
        unknown = sorted(set(options) - COMPARE_OPTIONS - _workload_names() - {"device"})
        if unknown:
            raise TypeError(f"compare() got an unexpected keyword argument {unknown[0]!r}")
        sampling = {k: v for k, v in options.items() if k in COMPARE_OPTIONS}
        workload = {k: v for k, v in options.items() if k in _workload_names()}
        if threshold is not None and sampling.get("precision") is None and threshold > 0:
            sampling["precision"] = min(threshold / 2, 0.5)
        device = self._device(options.get("device"))
        label = self._label(None, "compare")
        given = names or (_name(baseline, "baseline"), _name(candidate, "candidate"))
        refs: list[str] = []
        try:
            from ..comparison.api import compare

            with self._model_errors():
                items = [
                    self._config(m, n, inputs, workload, refs, "processes" in sampling)
                    for m, n in zip((baseline, candidate), given, strict=True)
                ]
                result = compare(
                    *items, device=device, fail_if_slower=threshold, diagnose=False, **sampling
                )
        finally:
            for ref in refs:
                registered.release(ref)
        timed = as_timed(result, TimedComparison)
        record = compare_record(timed, self._request.node.nodeid, label, self._with_document)
        attach(timed, record, threshold=threshold)
        self._keep(record)
        self._save(timed, label, record)
        if threshold is not None:
            outcome = not_slower(timed, threshold)
            note(timed, f"≤ {share_text(threshold)} slower", outcome)
            if not outcome.passed:
                raise AssertionError(outcome.message)
        return timed

    # -- the parts --------------------------------------------------------------------------

    def _measure(
        self,
        cls: type[Any],
        wanted: str,
        model: Any,
        inputs: tuple[Any, ...],
        name: str | None,
        options: dict[str, Any],
    ) -> Any:
        __tracebackhide__ = True
        if options.get("diagnose"):
            raise ConfigError(
                "the infertime fixture does not run the CUPTI kernel pass (diagnose=True): it "
                "stays attached and slows every later launch in the test process; run "
                "`infertime run` on the model for the diagnosis"
            )
        options.pop("diagnose", None)
        device = self._device(options.pop("device", None))
        label = self._label(name, wanted.replace("_", " "))
        from ..latency.measure import measure_latency
        from .models import as_module

        with self._model_errors():
            result = measure_latency(
                as_module(model), _example(inputs), diagnose=False, device=device, **options
            )
        timed = as_timed(result, cls)
        nodeid = self._request.node.nodeid
        record = latency_record(timed, nodeid, label, wanted, self._with_document)
        attach(timed, record)
        self._keep(record)
        saved_failure = None
        if self._options.compare is not None:
            saved_failure = self._compare_saved(timed, wanted, label, record)
        self._save(timed, label, record)
        if saved_failure is not None:
            pytest.fail(saved_failure, pytrace=False)
        return timed

    def _compare_saved(
        self, result: Any, wanted: str, label: str, record: dict[str, Any]
    ) -> str | None:
        """This measurement against the saved one: recorded; the line to fail with, if any."""
        opts = self._options
        assert opts.compare is not None
        path = storage.path_of(opts.storage, opts.compare, self._request.node.nodeid, label)
        figure = figure_of(result, wanted)
        try:
            compared = storage.compare_with_saved(
                result, path, opts.compare, figure, opts.fail_if_slower, opts.trust_single_process
            )
        except storage.SavedFailed as failed:
            record["saved"] = {"name": opts.compare, "error": str(failed)}
            return str(failed)
        ratio = compared.ratio(1)
        saved: dict[str, Any] = {
            "name": opts.compare,
            "file": str(path),
            "ratio": ratio.value,
            "ci": list(ratio.ci) if ratio.ci else None,
            "confidence": ratio.confidence,
            "decision": compared.decision(1).kind,
            "environment_differences": sorted(compared.analysis.environment_differences),
        }
        record["saved"] = saved
        if opts.fail_if_slower is None:
            return None
        hint = (
            ", or pass --infertime-trust-single-process to let the saved file decide"
            if not opts.trust_single_process
            else ""
        )
        outcome = not_slower(compared, opts.fail_if_slower, hint)
        saved["gate"] = outcome.state
        if outcome.passed:
            return None
        differ = saved["environment_differences"]
        if differ:
            more = f" and {len(differ) - 3} more" if len(differ) > 3 else ""
            shown = ", ".join(differ[:3]) + more
            return f"against saved {opts.compare}: {outcome.message} (environments differ: {shown})"
        return f"against saved {opts.compare}: {outcome.message}"

    def _save(self, result: Any, label: str, record: dict[str, Any]) -> None:
        opts = self._options
        if opts.save is None:
            return
        path = storage.path_of(opts.storage, opts.save, self._request.node.nodeid, label)
        try:
            storage.save(result, path)
        except (InfertimeError, OSError) as exc:
            text = exc.one_line() if isinstance(exc, InfertimeError) else str(exc)
            message = f"infertime: cannot save {path}: {text}"
            raise pytest.fail.Exception(message, pytrace=False) from None
        record["file"] = str(path)

    def _config(
        self,
        model: Any,
        name: str,
        inputs: tuple[Any, ...],
        workload: dict[str, Any],
        refs: list[str],
        in_processes: bool = False,
    ) -> Any:
        """A configuration of infertime.compare: text, a spec, or a module given as a model
        reference to a factory of deep copies (registered.py)."""
        from ..comparison.configs import parse_config
        from ..specs.spec import WorkloadSpec

        if isinstance(model, (str, WorkloadSpec)):
            if inputs:
                raise ConfigError(
                    f"{name}: inputs go with a module or a callable, not with the model "
                    f"reference {model if isinstance(model, str) else model.model!r}"
                )
            spec = parse_config(model).spec if isinstance(model, str) else model
            return {"name": name, **{**asdict(spec), **workload}}
        from .models import as_module

        if in_processes:
            raise ConfigError(
                f"{name}: processes=N rebuilds each model in fresh processes, so it needs "
                "model references ('timm:resnet50', 'pkg.mod:factory'), not objects"
            )
        module = as_module(model)
        example = _example(inputs)
        if example is None:
            raise ConfigError(f"{name}: a module needs example inputs: compare(a, b, x)")
        wrapped = module is not model  # a callable: its copies share what it closes over
        ref = registered.register(lambda: (module if wrapped else copy.deepcopy(module), example))
        refs.append(ref)
        return {"name": name, "model": ref, **workload}

    def _device(self, given: Any) -> Any:
        """The device to time on (placement.py): skip without it, refuse a shared one."""
        __tracebackhide__ = True
        if given is not None and not isinstance(given, str) and type(given).__name__ != "device":
            return given  # a Device object (FakeDevice in tests): the caller's choice
        requested = str(given) if given is not None else self._options.device
        worker = placement.worker_of(self._request.config)
        try:
            return placement.place(requested, worker, placement.cuda_count)
        except placement.Unavailable as exc:
            raise pytest.skip.Exception(str(exc)) from None
        except placement.Refused as exc:
            raise pytest.fail.Exception(str(exc), pytrace=False) from None

    def _threshold(self, given: str | float | None) -> float | None:
        __tracebackhide__ = True
        if given is None:
            return self._options.fail_if_slower
        return parse_share(given, "compare(fail_if_slower=...)")

    def _label(self, name: str | None, default: str) -> str:
        base = name.strip() if name and name.strip() else default
        self._labels[base] = self._labels.get(base, 0) + 1
        n = self._labels[base]
        return base if n == 1 else f"{base} {n}"

    @property
    def _with_document(self) -> bool:
        return self._options.json is not None

    def _keep(self, record: dict[str, Any]) -> None:
        node = self._request.node
        if ITEM_RECORDS not in node.stash:
            node.stash[ITEM_RECORDS] = []
        node.stash[ITEM_RECORDS].append(record)

    def _model_errors(self) -> _ModelErrors:
        return _ModelErrors()


class _ModelErrors:
    """The model's own exception where the model raised (its traceback starting in the
    model's code); one line for infertime's errors; a skip for a missing device. A class, not
    a generator: its frame hides from pytest's traceback."""

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        __tracebackhide__ = True
        if isinstance(exc, (ModelCallError, InputShapeError)):
            cause = exc.__cause__
            if isinstance(cause, Exception) and not isinstance(cause, InfertimeError):
                if hasattr(cause, "add_note"):  # Python 3.11+
                    cause.add_note(f"infertime: {exc.one_line()}")
                raise cause.with_traceback(_from_the_model(cause.__traceback__)) from None
        # `from None`: the one line alone, not infertime's exception it replaces
        if isinstance(exc, DeviceUnavailableError):
            raise pytest.skip.Exception(f"infertime: {exc.one_line()}") from None
        if isinstance(exc, InfertimeError):
            raise pytest.fail.Exception(f"infertime: {exc.one_line()}", pytrace=False) from None


def _workload_names() -> frozenset[str]:
    """What each model of a comparison takes (dtype, batch size, ...); device and threads
    are shared by both and given to infertime.compare itself."""
    from ..specs.spec import WORKLOAD_OPTION_NAMES

    return WORKLOAD_OPTION_NAMES - {"device", "threads"}


def _example(inputs: tuple[Any, ...]) -> Any:
    """Example inputs as measure_latency takes them: one tensor (or dict), or a tuple."""
    if not inputs:
        return None
    return inputs[0] if len(inputs) == 1 else tuple(inputs)


def _name(model: Any, default: str) -> str:
    return model.strip() if isinstance(model, str) else default


_OURS = (str(Path(__file__).resolve().parents[1]),)


def _from_the_model(tb: TracebackType | None) -> TracebackType | None:
    """The traceback from the first frame outside infertime and torch's module machinery:
    where the model's own code raised."""
    skip = _OURS + tuple(
        str(Path(m.__file__).resolve().parent)
        for m in (sys.modules.get("torch.nn.modules"),)
        if m is not None and m.__file__
    )
    start = tb
    while start is not None and str(Path(start.tb_frame.f_code.co_filename).resolve()).startswith(
        skip
    ):
        start = start.tb_next
    return start if start is not None else tb
