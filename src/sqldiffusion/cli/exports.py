"""`export-sql` and `export-web`: a run written out, as a psql script or as a static page."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import RunFailed, SQLDiffusionError, first_line
from ..recipe import BLOG
from ..schedulers import SAMPLERS
from ..schedulers.base import karras_samplers
from .group import cli
from .options import SEED, force_option, plan_options, recipe_of, saying


@cli.command("export-sql")
@click.option("--model", "-m", default="demo", show_default=True, help="'demo', a model folder or a Hub id.")
@plan_options
@click.option("--seed", default=0, show_default=True, type=SEED)
@click.option("--batch", default=1, show_default=True, type=int)
@click.option("--max-memory", metavar="SIZE", help="Memory the script's run may use on the server, e.g. 8G "
                                                   "[default: what this machine has available]; a batch that needs "
                                                   "more is refused.")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), help="File to write [default: stdout].")
@force_option
def export_sql(model, steps, timestep_list, sampler, blog, eta, karras, no_noise, seed, batch, max_memory, out,
               force) -> None:
    """Write one PostgreSQL script that loads the model, samples (and decodes, for a latent model) and prints
    the ASCII picture."""
    from .. import pictures
    from ..exporters.psql import write_script
    from ..model import load_model
    from ..outputs import check_output
    from ..pipeline import image_size
    from ..preflight import check_fits, check_latent_fits, parse_size

    recipe = recipe_of(sampler, steps, timestep_list, karras, blog, eta, no_noise)
    loaded = load_model(model).untexted("export-sql")
    scheduler = recipe.scheduler(loaded.scheduler_config)
    # the batch as generate's preflight takes it (the server's memory cannot be seen from here, as
    # with --dsn): the script's every pass holds the whole batch, and so does its text here
    limit = parse_size(max_memory) if max_memory else None
    if loaded.autoencoder is None:
        check_fits(loaded.config, *image_size(loaded.config), batch, limit)
    else:  # the loop, then the decoder
        check_latent_fits(loaded.config, loaded.autoencoder.config, *image_size(loaded.config), batch, limit)
    recipe.plan(scheduler)
    if out is None:
        try:
            write_script(sys.stdout, loaded, scheduler, seed, batch)
        except BrokenPipeError:
            raise  # a reader that stopped early (| head) is not news
        except OSError as e:  # standard output sent to a full disk
            raise RunFailed(f"could not write the script to standard output ({e.strerror or first_line(e)})") from None
        return
    out = check_output(out, "text", force, "--out")
    pictures.write_text(out, lambda f: write_script(f, loaded, scheduler, seed, batch))


@cli.command("export-web")
@click.argument("out_dir", type=click.Path(path_type=Path))
@click.option("--model", "-m", default="demo", show_default=True, help="'demo', a model folder or a Hub id.")
@click.option("--duckdb-wasm", "duckdb_wasm", metavar="DIR|URL",
              help="Where the page loads DuckDB-WASM from: a folder npm installed @duckdb/duckdb-wasm into (copied "
                   "into OUT_DIR), or an npm CDN's URL [default: jsDelivr, the pinned version].")
@click.option("--sampler", "samplers", multiple=True, help=f"A sampler to offer (repeatable): {', '.join(SAMPLERS)} "
                                                           "[default: as generate's].")
@click.option("--steps", "step_counts", multiple=True, type=int, help="A number of steps to offer (repeatable).")
@click.option("--karras", is_flag=True, help=f"Karras sigmas for the samplers that take them: "
                                            f"{', '.join(karras_samplers())}.")
@click.option("--blog", is_flag=True, help=f"Also offer the blog's schedule (DDPM, {BLOG}).")
@click.option("--max-batch", type=int, help="The most images the page makes at once, 1-4 [default: as many as fit].")
@click.option("--quiet", "-q", is_flag=True, help="No messages.")
def export_web(out_dir, model, duckdb_wasm, samplers, step_counts, karras, blog, max_batch, quiet) -> None:
    """Write a static folder where a browser runs the network as SQL in DuckDB-WASM (no server code)."""
    from ..exporters.web.export import export_web as write_folder
    from ..model import load_model
    from ..schedulers import sampler_of_config

    loaded = load_model(model).untexted("export-web")
    configured = sampler_of_config(loaded.scheduler_config)[0]
    karras_ones = karras_samplers()
    if karras and samplers and not set(samplers) & set(karras_ones):
        raise SQLDiffusionError(f"--karras applies to {', '.join(karras_ones)}; none of the samplers given takes it")
    chosen = []
    if samplers or step_counts or karras or not blog:
        for sampler in samplers or [None]:
            for steps in step_counts or [None]:
                takes = karras and (sampler is None or sampler in karras_ones)
                chosen.append(recipe_of(sampler, steps, None, takes, False, 0.0, False, configured=configured))
    if blog:
        chosen.append(recipe_of(None, None, None, False, True, 0.0, False))
    say = saying(quiet)
    write_folder(out_dir, loaded, chosen, duckdb_wasm, max_batch, say)
    say(f"serve it with: python -m http.server --bind 127.0.0.1 --directory {out_dir} 8000, "
        "then open http://127.0.0.1:8000/")
