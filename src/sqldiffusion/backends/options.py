"""The command-line options a backend takes, as it declares them in its package (`OPTIONS`) with
`target(**values)`, which makes the engine's target (the `database` its Engine is given) from
their values. The command line builds `--engine` and every engine option from these
declarations; an option two backends declare (the same flag) is one option with one meaning.
Declarations live in each backend's package, not its engine module, so that listing them loads
no driver.

A package may also declare `TASKS`, how `generate-many`'s Spark tasks run on it (many.py):
"embedded" (each task opens its own engine, with no options), "server" (each task connects to the
server its options name) or "session" (the SQL runs on the generating Spark session itself; its
target takes that session as `dataclasses.replace(target, session=...)`, its `SESSION_OPTIONS`
configure the session whatever engine the tasks use, and its `open_session(target)` starts it).
A package without `TASKS` is not offered there.

A package may declare `TESTS`, what the tests run on it (tests/conftest.py reads it, as ibis's
backends mark what they do not implement): "fast" (in the process and in memory: its cases are in
the fast subset), "statements" (a few statements at a time: the tests of primitives and steps, not
whole pictures, which take it minutes), or, undeclared, every case, in the slow set."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Option:
    flag: str  # "--db"
    help: str
    takes: str = "text"  # text, file (a path to a file), folder, or pairs (repeatable KEY=VALUE)
    metavar: str | None = None
    selects: bool = False  # given without --engine, it chooses the backend declaring it

    @property
    def dest(self) -> str:
        """The name of its value among target()'s keyword arguments."""
        return self.flag.lstrip("-").replace("-", "_")
