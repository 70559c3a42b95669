"""`generate-many`: many pictures on Apache Spark, each the picture `generate --seed S` makes."""

from __future__ import annotations

from pathlib import Path

import click

from ..backends import backend_package
from ..errors import SQLDiffusionError
from ..many import DEFAULT_ENGINE as MANY_DEFAULT
from ..many import ENGINES as MANY_ENGINES
from ..many import SESSION_ENGINE as MANY_SESSION
from ..many import server_flags
from .group import cli
from .options import engine_options, plan_options, recipe_of, saying


def _many_engine_help() -> str:
    """generate-many's --engine help, from how each engine runs the tasks (many.ENGINES)."""
    def how(name: str, mode: str) -> str:
        if mode == "embedded":
            return f"{name}: each task runs the SQL in a {name} of its own"
        if mode == "server":
            return f"{name}: every task on the server {server_flags(name)} names (required here)"
        return f"{name}: as SQL on the Spark session itself"

    return f"Where the tasks' SQL runs [default: {MANY_DEFAULT}]: " + \
        "; ".join(how(name, mode) for name, mode in MANY_ENGINES.items()) + "."


@cli.command("generate-many")
@click.option("--seeds", required=True, help="Seeds to make: 0-9999, 3,5,8 or 0-3,10.")
@click.option("--output", "-o", type=click.Path(file_okay=False, path_type=Path),
              help="Folder of the results: a Parquet dataset pictures.parquet (and png/ with --png).")
@click.option("--table", help="Or a table of the Spark session's catalog to append the results to.")
@click.option("--model", "-m", default="demo", show_default=True,
              help="'demo', a model folder every executor can read, or a Hub id.")
@plan_options
@click.option("--per-task", default=1, show_default=True, type=click.IntRange(min=1), help="Seeds per Spark task.")
@click.option("--png", is_flag=True, help="Also write one PNG per seed under OUTPUT/png (with --output).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or messages.")
@engine_options(engines=list(MANY_ENGINES), default=MANY_DEFAULT, session=MANY_SESSION, memory=False,
                options_of=[name for name, how in MANY_ENGINES.items() if how != "embedded"],
                engine_help=_many_engine_help())
def generate_many(seeds, output, table, model, engine, database, session, steps, timestep_list, sampler, blog,
                  eta, karras, no_noise, per_task, png, quiet) -> None:
    """Many pictures on Apache Spark; seed S is the picture `generate --seed S` makes."""
    from tqdm.auto import tqdm

    from ..many import Work, check_engine, parse_seeds
    from ..many import generate_many as run
    from ..model import load_model

    chosen = parse_seeds(seeds)
    if (output is None) == (table is None):
        raise SQLDiffusionError("give --output DIR or --table NAME (one of them)")
    if png and output is None:
        raise SQLDiffusionError("--png writes under --output DIR; give one")
    check_engine(engine, database)  # before Spark starts
    recipe = recipe_of(sampler, steps, timestep_list, karras, blog, eta, no_noise)
    recipe.planned(load_model(model).untexted("generate-many").scheduler_config)  # checked before Spark starts
    source = model if model == "demo" or not Path(model).exists() else str(Path(model).resolve())
    work = Work(source, recipe)
    say = saying(quiet)
    say(f"starting Spark ({session.master or 'local[*]'})")
    spark = backend_package(MANY_SESSION).open_session(session)
    try:
        with tqdm(total=len(chosen), unit="picture", disable=True if quiet else None) as bar:
            made, skipped = run(spark, work, chosen, output, engine, per_task, output / "png" if png else None,
                                progress=lambda done, total: bar.update(done - bar.n), table=table, database=database)
    finally:
        spark.stop()
    say(f"{made} picture(s) made, {skipped} already in {output or table}")
