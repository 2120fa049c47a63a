"""Options (kinds.Opt) to typer commands, and the one flow every measuring command follows.

typer reads a command's parameters from its signature, so `typer_command` builds a function
whose signature is made of the options and calls the handler with one `Values` object holding
them, parsed. A kind's command (`kind_command`) checks its outputs before anything slow,
measures with progress, delivers the result (file, exports, table, findings) and finishes.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import Interrupted, OutputClosed, Terminated, TerminatedError
from ..kinds.base import Kind, Opt, Values
from .options import resolve


def annotation(o: Opt) -> tuple[Any, Any]:
    """(typer annotation, default) for one option."""
    kw: dict[str, Any] = {"help": o.help, "hidden": o.hidden}
    if o.style in ("argument", "arguments"):
        kw["metavar"] = o.metavar or o.name.upper()
    elif o.style in ("value", "multi"):
        kw["metavar"] = o.metavar or "TEXT"
    if o.style == "argument":  # required unless it has a default
        default = shown(o.default) if o.default is not None else inspect.Parameter.empty
        return Annotated[str, typer.Argument(**kw)], default
    if o.style == "arguments":
        required = inspect.Parameter.empty
        return Annotated[list[str], typer.Argument(show_default=False, **kw)], required
    if o.style == "switch":
        kw.pop("metavar", None)
        return Annotated[bool, typer.Option(*o.flags, **kw)], False
    if o.style == "toggle":
        kw.pop("metavar", None)
        flag = o.flags[0]
        return Annotated[bool, typer.Option(f"{flag}/--no-{flag[2:]}", **kw)], bool(o.default)
    if o.style == "multi":
        return Annotated[list[str] | None, typer.Option(*o.flags, **kw)], None
    return Annotated[str | None, typer.Option(*o.flags, **kw)], shown(o.default)


def shown(default: Any) -> Any:
    """The text typer shows (and passes back) for a default value."""
    if default is None or isinstance(default, str):
        return default
    return str(default)


def parse_value(o: Opt, raw: Any) -> Any:
    """A raw typer value as the option's parsed value."""
    if raw is None and o.style == "multi":
        return tuple(o.default or ())
    if raw is None or o.style in ("switch", "toggle"):
        return raw
    if o.style == "arguments":
        return tuple(raw)
    if o.style == "multi":
        return tuple(o.parse(v) if o.parse else v for v in raw)
    if raw == shown(o.default) and o.default is not None and not isinstance(o.default, str):
        return o.default
    return o.parse(raw) if o.parse is not None else raw


def typer_command(
    options: tuple[str | Opt, ...], handler: Callable[[Values], None], doc: str, name: str
) -> Callable[..., None]:
    """A function typer can register: its signature is the options; it calls `handler`."""
    opts = resolve(options)
    parameters = []
    for o in opts:
        ann, default = annotation(o)
        parameters.append(
            inspect.Parameter(
                o.name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default, annotation=ann
            )
        )

    def run_command(**raw: Any) -> None:
        # typer turns these into exit codes of its own, differently across versions: they
        # become infertime's errors here, one line each with a documented code.
        try:
            values = Values({o.name: parse_value(o, raw.get(o.name)) for o in opts})
            handler(values)
        except KeyboardInterrupt:
            raise Interrupted("interrupted") from None
        except Terminated:
            raise TerminatedError("terminated") from None
        except BrokenPipeError:
            raise OutputClosed(
                "standard output was closed before everything was printed"
                + ("" if raw.get("json_path") is None else "; the result file was written")
            ) from None

    run_command.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    run_command.__annotations__ = {p.name: p.annotation for p in parameters}
    run_command.__doc__ = doc
    run_command.__name__ = name
    return run_command


def kind_command(kind: Kind) -> Callable[..., None]:
    """The CLI command of a kind: precheck, measure with progress, deliver, finish."""
    command = kind.command
    if command is None:
        raise TypeError(f"kind {kind.name} has no command")

    def handle(o: Values) -> None:
        from ..reporting.progress import terminal_progress
        from .output import deliver, precheck_output, say

        precheck_output(o.get("json_path"), o.get("fmt", "table"), o.exports(), *paths_of(o))
        if command.precheck is not None:
            command.precheck(o)
        with terminal_progress(not o.get("quiet", False), notice=say) as progress:
            result = command.run(o, progress)
        written: list[str] = []
        if command.after_measure is not None:
            written = command.after_measure(o, result)
        deliver(
            result,
            o.get("json_path"),
            o.get("quiet", False),
            kind.render,
            o.get("details", False),
            o.get("fmt", "table"),
            o.exports(),
        )
        if not o.get("quiet", False):
            for line in written:
                say(line)
        if command.finish is not None:
            command.finish(result)

    return typer_command(command.options, handle, command.help, command.name)


def paths_of(o: Values) -> tuple[tuple[Path, ...], dict[str, Path]]:
    """The files a command reads (result files given to compare, show's file) and its outputs
    beyond --json and the exports (pitfalls' --plot), for the checks before measuring."""
    inputs = [Path(i) for i in o.get("items", ()) if Path(i).is_file()]
    if o.get("path") is not None:
        inputs.append(Path(o.get("path")))
    other = {"--plot": Path(o.get("plot"))} if o.get("plot") is not None else {}
    return tuple(inputs), other


__all__ = ["annotation", "kind_command", "paths_of", "typer_command"]
