"""The PostgreSQL engine's statements written out as a psql script instead of executed (the
exporter that runs a whole sampler against it: `exporters/psql.py`). Weight tables are made as
PostgreSQL's storage lays them out, their rows in COPY text; each statement of a UNet pass comes
after a comment naming its layer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TextIO

import numpy as np

from ...errors import SQLDiffusionError
from ..parameters import layer_matrix
from ..recording import RecordingEngine
from .dialect import PostgresDialect
from .storage import table_layout


def comment(text: str) -> str:
    """`text` made fit for a `--` comment line of a psql script: printable ASCII, no backslash.

    A newline or carriage return would end the comment and start a line of the script's own, and
    psql takes a backslash outside quotes as a meta-command (`\\! cmd` runs a shell command);
    anything else outside printable ASCII is replaced as well, so the script is plain ASCII
    whatever the model folder is called."""
    return "".join(c if " " <= c <= "~" and c != "\\" else "?" for c in str(text))


class ScriptWriter(RecordingEngine):
    """The PostgreSQL engine's statements, written to a file instead of executed."""

    name = "postgres script"
    recording = "a script"
    dialect = PostgresDialect()
    comment = staticmethod(comment)

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.labels: dict[str, str] = {}

    def record(self, sql: str) -> None:
        if "\\" in sql:  # psql would take it as the start of a meta-command (\! runs a shell command)
            raise SQLDiffusionError("a statement of the script holds a backslash, which psql would run as a "
                                    "command; nothing can be exported for this model")
        self.out.write(sql.rstrip() + ";\n")

    def execute(self, program, timesteps, on_statement=None, on_start=None, class_labels=None) -> str:
        self.labels = {s.target: f"{s.label} ({s.category})" for s in program.statements}
        return super().execute(program, timesteps, on_statement, on_start, class_labels)

    def create(self, name: str, select: str) -> None:
        if name in self.labels:
            self.out.write(f"\n-- {comment(self.labels[name])}\n")
        self.drop(name)
        self.execute_sql(f"CREATE TEMP TABLE {name} AS\n{select}")

    def store_layer(self, namespace, layer, tensors) -> None:
        table = self.dialect.table(namespace, layer.name)
        columns, keys, values, dtype = table_layout(layer, layer_matrix(layer, tensors))
        self.execute_sql(f"CREATE TABLE {table} ({', '.join(columns)})")
        self.out.write(f"COPY {table} FROM stdin;\n")
        for line in _copy_lines(keys, values, dtype):
            self.out.write(line)
        self.out.write("\\.\n")


def _copy_lines(keys: np.ndarray, values: np.ndarray, dtype: str) -> Iterator[str]:
    """COPY text rows; float32 values written so that REAL and DOUBLE columns read them back exactly."""
    fmt = "%.9g" if dtype == ">f4" else "%.17g"
    text = np.char.mod(fmt, values.astype(np.float32).astype(np.float64))
    for k, row in zip(keys.tolist(), text):
        yield "\t".join(map(str, k)) + "\t" + "\t".join(row) + "\n"
