"""The `infertime` command: thin commands over the library; errors become one line on stderr."""

import os
import signal
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Annotated, Any

from ..errors import InfertimeError, Terminated, command_line

HELP = "Measure deep-network inference time correctly: latency, throughput, memory."


@cache
def build_app() -> Any:
    """The typer app: every registered kind's command, then the commands that measure nothing.
    Built on first use, so `--version` imports neither typer nor any kind."""
    import typer

    from .. import kinds
    from . import env, report, show
    from .commands import kind_command, typer_command

    app = typer.Typer(
        name="infertime",
        help=HELP,
        add_completion=False,
        pretty_exceptions_enable=False,
        no_args_is_help=True,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 80},
    )

    def version(value: bool) -> None:
        if value:
            print_version()
            raise typer.Exit()

    @app.callback()
    def top(
        version: Annotated[
            bool,
            typer.Option(
                "--version", "-V", callback=version, is_eager=True, help="Print the version."
            ),
        ] = False,
    ) -> None:
        """Measure deep-network inference time correctly: latency, throughput, memory."""

    for kind in kinds.all_kinds():
        if kind.command is not None:
            app.command(name=kind.command.name)(kind_command(kind))
    app.command(name="show")(
        typer_command(show.OPTIONS, show.show, show.show.__doc__ or "", "show")
    )
    app.command(name="report")(
        typer_command(report.OPTIONS, report.report, report.report.__doc__ or "", "report")
    )
    app.command(name="env")(typer_command(env.OPTIONS, env.env, env.env.__doc__ or "", "env"))
    from . import sweep  # a driver of many measurements, not a kind (docs/sweep.md)

    sweep.register(app)
    return app


def print_version() -> None:
    from .._version import __version__

    print(f"infertime {__version__}")


INTERNAL_ERROR = 70


def _error(message: str) -> None:
    print(f"infertime: error: {' '.join(message.split())}", file=sys.stderr)


def _click_kind(exc: BaseException) -> str | None:
    """Classify click's exceptions by name: typer vendors click in new releases, not in old ones."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    if "Exit" in names and hasattr(exc, "exit_code"):
        return "exit"
    if "Abort" in names:
        return "abort"
    if "ClickException" in names and hasattr(exc, "format_message"):
        return "usage"
    return None


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code (0 success, 2 bad usage, other codes per error kind)."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    # A stream closed before the start (`>&-`, `2>&-`): Python sets it to None. Write to
    # nowhere instead, measure and save the file, and say (exit 141) that stdout was closed.
    stdout_closed = sys.stdout is None
    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115  (lives as long as the process)
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115
    # 'package.module:callable' models resolve from the working directory, as `python -m` would.
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    if args in (["--version"], ["-V"]):
        print_version()
        return 0
    try:
        with terminate_cleanly(), command_line():
            code = build_app()(args=args, prog_name="infertime", standalone_mode=False)
        if stdout_closed and not code:
            _error("standard output was closed at the start; any result file was written")
            return OUTPUT_CLOSED
        return code if isinstance(code, int) else 0
    except InfertimeError as exc:
        if debug:
            traceback.print_exc()
        if exc.exit_code == OUTPUT_CLOSED:
            _quiet_closed_stdout()
        _error(exc.one_line())
        return exc.exit_code
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    except Terminated:
        _error("terminated")
        return 143
    except Exception as exc:
        kind = _click_kind(exc)
        if kind == "exit":
            return int(exc.exit_code)  # type: ignore[attr-defined]
        if kind == "abort":
            _error("interrupted")
            return 130
        if kind == "usage":  # bad flag, missing argument, wrong value type
            if type(exc).__name__ == "NoArgsIsHelpError":
                # click 8.2 raises it instead of printing: a bare `infertime` shows the help
                print(exc.ctx.get_help())  # type: ignore[attr-defined]
                return 0
            _error(exc.format_message())  # type: ignore[attr-defined]
            return 2
        # A bug in infertime or a library: still one line unless --debug.
        if debug:
            traceback.print_exc()
        _error(
            f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)"
        )
        return INTERNAL_ERROR


OUTPUT_CLOSED = 141


@contextmanager
def terminate_cleanly() -> Iterator[None]:
    """SIGTERM raises Terminated, so that children are stopped and temporary files removed on
    the way out (Python's default is to die at once). Restored afterwards."""

    def handler(signum: int, frame: Any) -> None:
        raise Terminated()

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _quiet_closed_stdout() -> None:
    """Point stdout at /dev/null, so that flushing it at exit does not fail a second time."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def entry() -> None:
    code = main()
    from ..telemetry.kernel_time import cupti_attached

    if cupti_attached():
        # With CUPTI attached, interpreter teardown has taken seconds to minutes on an H100
        # (torch 2.11); everything is written and flushed, so leave without it.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
