"""A standalone PostgreSQL script: `psql -f butterfly.sql` on an empty database, no Python anywhere.

It creates the weight tables and loads them with COPY, makes the noise, runs the whole sampler
(every UNet pass and step) and prints the ASCII picture. The statements are the very ones the
postgres engine executes: the denoising loop (`sampling.sampler.loop`) is run against a writer
that records each statement instead of executing it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TextIO

import numpy as np

from ..errors import SQLDiffusionError
from ..graph import build_unet, unet_layers
from ..model import Model
from ..model.layout import layer_matrix
from ..pictures import COLUMNS
from ..sampling.sampler import image_size, loop, relations
from ..sampling.schedule import NoiseSchedule
from .dialects.postgres import PostgresDialect
from .render import SAMPLE, TIMESTEPS, Program, render
from .sampler import StepRule


class ScriptWriter:
    """The engine interface of the denoising loop, writing SQL text instead of executing it."""

    dialect = PostgresDialect()

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def write(self, sql: str) -> None:
        self.out.write(sql.rstrip() + ";\n")

    def create(self, name: str, select: str) -> None:
        self.write(f"DROP TABLE IF EXISTS {name}")
        self.write(f"CREATE TEMP TABLE {name} AS\n{select}")

    def drop(self, *names: str) -> None:
        for name in names:
            self.write(f"DROP TABLE IF EXISTS {name}")

    def rename(self, old: str, new: str) -> None:
        self.drop(new)
        self.write(f"ALTER TABLE {old} RENAME TO {new}")

    def execute(self, program: Program, timesteps) -> str:
        self.create(TIMESTEPS, self.dialect.timesteps(timesteps))
        for statement in program.statements:
            self.out.write(f"\n-- {statement.label} ({statement.op})\n")
            self.create(statement.target, statement.sql)
            self.drop(*statement.drops)
        return program.output

    def put_image(self, name, image):
        raise SQLDiffusionError("a script makes its own noise; it cannot start from a given tensor")

    def fetch_image(self, name, shape):
        raise SQLDiffusionError("a script cannot hand images back to Python")


def write_script(out: TextIO, model: Model, timesteps: list[int], rule: StepRule, seed: int = 0,
                 batch: int = 1) -> None:
    """The whole script: settings, weights (CREATE TABLE + COPY), the loop, the ASCII picture."""
    from ..engines.postgres import table_layout

    if batch < 1:
        raise SQLDiffusionError(f"batch size must be at least 1 (got {batch})")
    config = model.config
    writer = ScriptWriter(out)
    dialect = writer.dialect
    schema = f"sqld_script_{model.digest[:16]}"  # never an engine's import (the script drops it at the end)
    layers = unet_layers(config).layers
    tensors = model.tensors(unet_layers(config).expected_tensors())
    shape = (batch, config.in_channels, *image_size(config))
    out.write(f"-- sqldiffusion: {model.name}, timesteps {','.join(map(str, timesteps))}, "
              f"{rule.sampler}{'' if rule.add_noise else ' without noise'}, seed {seed}, batch {batch}\n"
              "-- Run on an empty PostgreSQL database (15 or newer): psql -q -f THIS_FILE\n"
              "\\set ON_ERROR_STOP on\n")
    for setting in ("client_min_messages = warning", "jit = off", "work_mem = '256MB'"):
        writer.write(f"SET {setting}")
    out.write("\n-- the weights: one table per layer\n")
    writer.write(f"DROP SCHEMA IF EXISTS {dialect.quote(schema)} CASCADE")
    writer.write(f"CREATE SCHEMA {dialect.quote(schema)}")
    for layer in layers:
        table = dialect.table(schema, layer.name)
        columns, keys, values, dtype = table_layout(layer, layer_matrix(layer, tensors))
        writer.write(f"CREATE TABLE {table} ({', '.join(columns)})")
        out.write(f"COPY {table} FROM stdin;\n")
        for line in _copy_lines(keys, values, dtype):
            out.write(line)
        out.write("\\.\n")
    out.write("\n-- the sampler\n")
    program = render(build_unet(config, *shape[2:]), dialect, schema)
    loop(writer, program, NoiseSchedule.from_config(model.scheduler_config), rule, timesteps, shape, seed)
    out.write("\n-- the picture\n\\pset tuples_only on\n\\pset format unaligned\n")
    writer.write(dialect.ascii_picture(SAMPLE, shape, COLUMNS))
    writer.drop(*[r for r in relations(program)])
    writer.write(f"DROP SCHEMA {dialect.quote(schema)} CASCADE")


def _copy_lines(keys: np.ndarray, values: np.ndarray, dtype: str) -> Iterator[str]:
    """COPY text rows; float32 values written so that REAL and DOUBLE columns read them back exactly."""
    fmt = "%.9g" if dtype == ">f4" else "%.17g"
    text = np.char.mod(fmt, values.astype(np.float32).astype(np.float64))
    for k, row in zip(keys.tolist(), text):
        yield "\t".join(map(str, k)) + "\t" + "\t".join(row) + "\n"
