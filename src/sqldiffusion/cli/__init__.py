"""The `sqldiffusion` command: one click group (`group.py`), its option groups (`options.py`: the
model, the engine, the plan and sampler, the outputs) and one module per kind of command."""

from __future__ import annotations

import signal
import sys

import click

from ..errors import SQLDiffusionError
from ..redact import redact
from . import editing, exports, generate, many, tools  # noqa: F401 - each registers its commands on the group
from .group import cli

_interrupted = False


def _interrupt(signum, frame) -> None:
    """SIGINT and SIGTERM: unwind as Ctrl-C does, once, so that every transaction rolls back, every
    temporary relation is dropped and a throwaway server stops; a second signal while that runs
    is ignored rather than cutting the cleanup short."""
    global _interrupted
    if _interrupted:
        return
    _interrupted = True
    raise KeyboardInterrupt


def _given_dsn(argv: list[str]) -> str | None:
    """The --dsn of a command line, whose password no message may show."""
    for i, arg in enumerate(argv):
        if arg == "--dsn" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--dsn="):
            return arg.removeprefix("--dsn=")
    return None


def main() -> None:
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        cli.main(standalone_mode=False)
    except BaseException as e:
        # an interrupt can surface as the engine's own error (a query interrupted, a transaction
        # aborted by it): whatever ends the run after a signal, the signal is the news
        if _interrupted or isinstance(e, (KeyboardInterrupt, click.exceptions.Abort)):
            click.echo("interrupted", err=True)
            sys.exit(130)
        if isinstance(e, SQLDiffusionError):
            click.echo(redact(f"error: {e}", _given_dsn(sys.argv)), err=True)
            sys.exit(e.exit_code)
        if isinstance(e, click.ClickException):
            e.show()
            sys.exit(e.exit_code)
        raise


__all__ = ["cli", "main"]
