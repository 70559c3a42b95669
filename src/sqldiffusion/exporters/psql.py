"""A standalone PostgreSQL script: `psql -f butterfly.sql` on an empty database, no Python anywhere.

It creates the weight tables and loads them with COPY, makes the noise, runs the whole sampler
(every UNet pass and step) and, for a latent model, its autoencoder's decoder on the final latents
(scaled as the pipelines scale them), then prints the ASCII picture. The statements are the very ones the
postgres engine executes: the pipeline's denoising loop runs against an engine that writes each
statement out instead of executing it (`backends/postgres/script.py`).
"""

from __future__ import annotations

from typing import TextIO

from ..backends import script_writer
from ..errors import SQLDiffusionError
from ..model import Model
from ..pictures import COLUMNS, RAMP, ascii_rows
from ..pipeline import decoded_relations, image_size, loop, relations, resolve_seed
from ..program import LATENTS, SAMPLE, Program, render, render_unet
from ..schedulers import Scheduler
from ..sql_autoencoder import DECODE, DECODER_PREFIX, latents_sql


def write_script(out: TextIO, model: Model, scheduler: Scheduler, seed: int = 0, batch: int = 1) -> None:
    """The whole script: settings, weights (CREATE TABLE + COPY), the loop of `scheduler` (its plan
    set), the ASCII picture."""
    if batch < 1:
        raise SQLDiffusionError(f"batch size must be at least 1 (got {batch})")
    seed = resolve_seed(seed)  # as generate takes it: the same picture for the same --seed
    config = model.config
    writer = script_writer(out)
    quote = writer.dialect.quote
    namespace = f"sqld_script_{model.digest[:16]}"  # never an engine's import (the script drops it at the end)
    graph = model.network.layers(config)
    tensors = model.tensors(graph.expected_tensors())
    shape = (batch, config.in_channels, *image_size(config))
    about = (f"sqldiffusion: {model.name}, timesteps {','.join(f'{t:g}' for t in scheduler.planned)}, "
             f"{scheduler.name}{' with Karras sigmas' if scheduler.karras else ''}"
             f"{'' if scheduler.add_noise else ' without noise'}, "
             f"seed {seed}, batch {batch}")
    out.write(f"-- {writer.comment(about)}\n"
              "-- Run on an empty PostgreSQL database (15 or newer): psql -q -X -f THIS_FILE\n"
              "\\set ON_ERROR_STOP on\n")
    # the script's string literals read as standard SQL (a backslash never an escape) on any server
    for setting in ("standard_conforming_strings = on", "client_min_messages = warning", "jit = off",
                    "work_mem = '256MB'"):
        writer.execute_sql(f"SET {setting}")
    out.write("\n-- the weights: one table per layer\n")
    writer.execute_sql(f"DROP SCHEMA IF EXISTS {quote(namespace)} CASCADE")
    writer.execute_sql(f"CREATE SCHEMA {quote(namespace)}")
    for layer in writer.dialect.stored_layers(graph):
        writer.store_layer(namespace, layer, tensors)
    vae = model.autoencoder
    decoder = None if vae is None else decoder_program(writer, vae, shape)
    out.write("\n-- the sampler\n")
    program = render_unet(config, *shape[2:], writer.dialect, namespace)
    loop(writer, program, scheduler, shape, seed)
    picture, picture_shape = SAMPLE, shape
    if decoder is not None:
        out.write("\n-- the decoder: the latents scaled as the pipelines scale them, then decoded\n")
        picture, picture_shape = run_decoder(writer, vae, decoder, shape), (shape[0], *decoder.output_shape)
    out.write("\n-- the picture\n\\pset tuples_only on\n\\pset format unaligned\n")
    writer.execute_sql(ascii_picture_sql(picture, picture_shape, COLUMNS))
    writer.drop(*relations(program, scheduler), *([] if decoder is None else decoded_relations(decoder)))
    for made in dict.fromkeys([namespace, *([] if vae is None else [autoencoder_namespace(vae)])]):
        writer.execute_sql(f"DROP SCHEMA {quote(made)} CASCADE")


def autoencoder_namespace(vae: Model) -> str:
    """The schema of the autoencoder's weights: its own, as its layers' names are the UNet's."""
    return f"sqld_script_{vae.digest[:16]}"


def decoder_program(writer, vae: Model, shape: tuple[int, int, int, int]) -> Program:
    """The weight tables of `vae`'s decoder (in a schema of their own), and its program for the
    pictures of latents of `shape`."""
    namespace = autoencoder_namespace(vae)
    factor = vae.config.factor
    graph = writer.dialect.lower(vae.network.graph(vae.config, shape[2] * factor, shape[3] * factor, DECODE))
    # every tensor of the file, checked as an import checks them; the decoder's alone are stored
    tensors = vae.tensors({name: shape for g in vae.network.pass_graphs(vae.config)
                           for name, shape in g.expected_tensors().items()})
    writer.out.write("\n-- the autoencoder's weights (its decoder's)\n")
    writer.execute_sql(f"DROP SCHEMA IF EXISTS {writer.dialect.quote(namespace)} CASCADE")
    writer.execute_sql(f"CREATE SCHEMA {writer.dialect.quote(namespace)}")
    for layer in graph.layers:
        writer.store_layer(namespace, layer, tensors)
    return render(graph, writer.dialect, namespace, DECODER_PREFIX)


def run_decoder(writer, vae: Model, decoder: Program, shape: tuple[int, int, int, int]) -> str:
    """The decoder's statements on the latents in SAMPLE; returns the relation of the pictures."""
    writer.create(LATENTS, latents_sql(writer.dialect, vae.config, shape[1]))
    writer.labels = {s.target: f"{s.label} ({s.category})" for s in decoder.statements}
    for statement in decoder.statements:
        writer.create(statement.target, statement.sql)
        writer.drop(*statement.drops)
    return decoder.output


def ascii_picture_sql(sample: str, shape: tuple[int, int, int, int], columns: int = COLUMNS) -> str:
    """The ASCII picture of every image, as `pictures.ascii_art` draws it: one row per text line,
    a blank line between images. Columns: (line TEXT)."""
    b, c, h, w = shape
    rows = ascii_rows(h, w, columns)
    byte = lambda v: f"floor(least(greatest({v} / 2::real + 0.5::real, 0::real), 1::real) * 255::real + 0.5::real)"  # noqa: E731
    if c == 3:
        grey = f"({byte('c0')} + {byte('c1')} + {byte('c2')}) / 3.0"
    else:
        mean = (f"(({' + '.join(f'least(greatest(c{i} / 2::real + 0.5::real, 0::real), 1::real)' for i in range(c))})"
                f" / {c}::real)")
        grey = f"floor({mean} * 255::real + 0.5::real)::float8" if c > 1 else byte("c0")
    ramp = RAMP.replace("'", "''")
    span = lambda i, size, cells: (f"({i} * {size}) / {cells}",  # noqa: E731
                                   f"greatest(({i} * {size}) / {cells} + 1, (({i} + 1) * {size}) / {cells})")
    (ry0, ry1), (cx0, cx1) = span("r", h, rows), span("k", w, columns)
    return (f"WITH px AS (SELECT b, y, x, {grey} AS g FROM {sample}),\n"
            f"cells AS (\n"
            f"  SELECT px.b, r, k, avg(px.g) / 255 AS grey\n"
            f"  FROM generate_series(0, {rows - 1}) AS gr(r), generate_series(0, {columns - 1}) AS gk(k),\n"
            f"       generate_series({ry0}, {ry1} - 1) AS yy(y), generate_series({cx0}, {cx1} - 1) AS xx(x),\n"
            f"       px WHERE px.y = yy.y AND px.x = xx.x\n"
            f"  GROUP BY px.b, r, k),\n"
            f"lines AS (\n"
            f"  SELECT b, r, string_agg(substr('{ramp}', floor((1 - grey) * {len(RAMP) - 1} + 0.5)::int + 1, 1), "
            f"'' ORDER BY k) AS line\n"
            f"  FROM cells GROUP BY b, r\n"
            f"  UNION ALL SELECT b, {rows}, '' FROM generate_series(0, {b - 2}) AS gb(b))\n"
            f"SELECT line FROM lines ORDER BY b, r")

