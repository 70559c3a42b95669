"""What every engine shares: running a program statement by statement on relations it names."""

from __future__ import annotations

import resource
import time
from collections.abc import Callable

import numpy as np

from ..sql.render import SAMPLE, TIMESTEPS, Program, Statement


def model_schema(model, layout: str = "") -> str:
    """The schema an engine imports a model into: named by its digest, so one model is stored once,
    and by the engine's storage `layout` where it has more than one, so an older import is not read
    as a newer one."""
    return f"sqld_{model.digest[:16]}" + (f"_{layout}" if layout else "")


def cpu_seconds() -> float:
    """This process's CPU time (an embedded engine's worker threads are ours; a server's are not)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class SQLEngine:
    """An engine holds a DB-API-like connection `con` and a `dialect`; subclasses add model import,
    `create` (a relation from a SELECT), `put_image` and `fetch_image`."""

    dialect = None
    con = None

    def run(self, program: Program, sample: np.ndarray, timesteps: np.ndarray,
            on_statement: Callable[[Statement, float, float], None] | None = None) -> np.ndarray:
        """Execute `program` on `sample` (B, C, H, W) at `timesteps` (B,); return the output (B, C', H, W)."""
        try:
            self.put_image(SAMPLE, sample)
            output = self.execute(program, timesteps, on_statement)
            return self.fetch_image(output, (sample.shape[0], *program.output_shape))
        finally:
            self.drop(SAMPLE, TIMESTEPS, *(s.target for s in program.statements))

    def execute(self, program: Program, timesteps, on_statement=None) -> str:
        """Run a program on the image already in SAMPLE; return the relation holding its output.

        Every relation but the output is dropped as soon as nothing reads it any more.
        """
        self.create(TIMESTEPS, self.dialect.timesteps(timesteps))
        for statement in program.statements:
            wall, cpu = time.perf_counter(), cpu_seconds()
            self.create(statement.target, statement.sql)
            self.drop(*statement.drops)
            if on_statement:
                on_statement(statement, time.perf_counter() - wall, cpu_seconds() - cpu)
        return program.output

    def drop(self, *names: str) -> None:
        for name in names:
            self.con.execute(f"DROP TABLE IF EXISTS {name}")

    def rename(self, old: str, new: str) -> None:
        self.drop(new)
        self.con.execute(f"ALTER TABLE {old} RENAME TO {new}")

    def query(self, sql: str) -> list[tuple]:
        return self.con.execute(sql).fetchall()
