"""The commands around a picture: one UNet pass, the blog's figures, the web page, an import ahead
of time, and training a model."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import click

from ..backends import BACKENDS, backend_package, engine_class
from ..errors import SQLDiffusionError
from .group import cli
from .options import SEED, class_labels_of, engine_options, force_option, load_npy, parse_timestep_values, where


@cli.command()
@click.option("--model", "-m", required=True, help="Diffusers model folder (UNet or pipeline) or Hub id.")
@click.option("--input", "-i", "input_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="float32 .npy sample, (B, C, H, W) or (C, H, W).")
@click.option("--timestep", "-t", required=True, help="One timestep, or one per image: 999 or 999,500.")
@click.option("--output", "-o", "output_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the predicted noise (.npy, same shape as the input).")
@engine_options
@click.option("--class-label", "class_label", help="Class-conditional models: one class, or one per image (3,7).")
@click.option("--show-sql", is_flag=True, help="Print the SQL program of the pass.")
@click.option("--profile", is_flag=True, help="Print the time of every statement and per kind of work.")
@force_option
def unet(model, input_path, timestep, output_path, engine, database, max_memory,
         class_label, show_sql, profile, force) -> None:
    """One UNet pass in SQL: predict the noise in a sample."""
    from .. import pictures
    from ..outputs import check_output
    from ..sql_unet import SQLUNet

    sample = load_npy(input_path, "--input")
    single = sample.ndim == 3
    timesteps = parse_timestep_values(timestep)
    output_path = check_output(output_path, "npy", force, "--output")
    click.echo(f"loading {model} into {where(engine, database)}", err=True)
    net = SQLUNet(model, engine, database, max_memory=max_memory)
    sample, timesteps = net.check_inputs(sample, timesteps)
    if show_sql:
        click.echo(net.program(*sample.shape[2:]).text())
    timings: list[tuple[str, str, float, float]] = []
    out = net(sample, timesteps, lambda s, wall, cpu: timings.append((s.label, s.category, wall, cpu)),
              class_labels=class_labels_of(class_label, net.config))
    if single:
        out = out[0]
    pictures.save_npy(output_path, out)
    if profile:
        print_profile(timings)
    click.echo(f"wrote {output_path} {list(out.shape)} in {sum(t[2] for t in timings):.2f} s of SQL", err=True)


@cli.command()
@click.option("--model", "-m", default="demo", show_default=True, help="'demo', a model folder or a Hub id.")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the figures into (created if missing).")
@engine_options
@click.option("--seed", default=0, show_default=True, type=SEED)
@click.option("--count", default=10, show_default=True, type=click.IntRange(min=1), help="Images per grid.")
@click.option("--all-steps", type=click.IntRange(min=1),
              help="Steps of the 'every step' grids [default: every training timestep].")
def figures(model, out, engine, database, max_memory, seed, count, all_steps) -> None:
    """The blog's figures: timestep embedding, one-shot prediction, and grids of samples."""
    from ..figures import make_figures
    from ..model import load_model
    from ..outputs import check_output
    from ..pipeline import image_size
    from ..preflight import check_fits
    from ..schedulers import NoiseSchedule

    loaded = load_model(model).pixel_model("figures")
    # before the engine starts
    check_fits(loaded.config, *image_size(loaded.config), count, max_memory, batch_option="--count")
    total = NoiseSchedule.from_config(loaded.scheduler_config).num_train_timesteps
    if all_steps is not None and all_steps > total:  # else found only after the first figures are made
        raise SQLDiffusionError(f"--all-steps {all_steps} is more than the {total} steps the model was trained with")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise SQLDiffusionError(f"--out {out}: cannot make the folder ({e.strerror})") from None
    check_output(out / "timestep_embedding.png", "picture", option="--out")  # the folder takes files
    for path in make_figures(loaded, out, engine, database, seed, count, all_steps, max_memory=max_memory,
                             log=lambda line: click.echo(line, err=True)):
        click.echo(str(path))


@cli.command()
@click.option("--model", "-m", "models", multiple=True,
              help="A model the page may use (repeatable): a diffusers folder or Hub id; 'demo' is always there.")
@engine_options
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("--allow-host", "allow_hosts", multiple=True, metavar="NAME",
              help="Another name the page may be reached by (repeatable); it answers 127.0.0.1, localhost, [::1].")
@click.option("--open", "open_page", is_flag=True, help="Open the page in a browser.")
def serve(models, engine, database, max_memory, host, port, allow_hosts, open_page) -> None:
    """A local web page: watch the picture emerge and the network run as SQL."""
    from ..serve.server import run

    click.echo(f"loading into {where(engine, database)}", err=True)
    run(models, engine, database, host, port, open_page, say=lambda line: click.echo(line, err=True),
        allow_hosts=allow_hosts, max_memory=max_memory)


@cli.command("import")
@click.option("--model", "-m", default="demo", show_default=True, help="'demo', a model folder or a Hub id.")
@engine_options
def import_model(model, engine, database, max_memory) -> None:
    """Import a model's weights into a database (once; later runs reuse them)."""
    from ..sql_unet import SQLUNet

    backend = engine_class(engine)
    if not backend.durable:
        keeping = [f"--engine {b} {option.flag} {option.metavar or 'VALUE'}"
                   for b in BACKENDS if b != engine and engine_class(b).durable
                   for option in backend_package(b).OPTIONS]
        raise SQLDiffusionError(f"the {engine} engine keeps weights only for the run that imports them "
                                f"({backend.why_not_durable}): there is nothing to import ahead; use "
                                f"{' or '.join(keeping) or 'an engine that keeps them'}")
    if database is None:
        flags = " or ".join(f"{option.flag} {option.metavar or 'VALUE'}" for option in backend_package(engine).OPTIONS)
        raise SQLDiffusionError(f"import into {backend.describe(None)} would be discarded at once: "
                                f"give {flags or 'a database to keep them in'}")
    net = SQLUNet(model, engine, database, max_memory=max_memory)
    click.echo(f"{model} is in {where(engine, database)}, schema {net.namespace}")
    net.engine.close()


@cli.command()
@click.option("--data", default="procedural", show_default=True,
              help="'procedural' (drawn butterflies), a .npy pool of uint8 pictures, or a folder of images.")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for checkpoints and the trained model (diffusers layout).")
@click.option("--steps", default=6000, show_default=True, type=click.IntRange(min=1), help="Optimiser steps in all.")
@click.option("--minutes", type=click.FloatRange(min=0, min_open=True),
              help="Train for about this long instead: the step count is set from the speed measured "
                   "after 200 and 1000 steps.")
@click.option("--batch-size", default=32, show_default=True, type=click.IntRange(min=1))
@click.option("--lr", default=5e-4, show_default=True, type=float, help="Peak learning rate (AdamW).")
@click.option("--warmup", default=200, show_default=True, type=click.IntRange(min=1),
              help="Steps of linear learning-rate warm-up before the cosine decay.")
@click.option("--ema-decay", default=0.995, show_default=True, type=click.FloatRange(0, 1, max_open=True),
              help="Decay of the weights' moving average (the saved model).")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--offset-noise", default=0.1, show_default=True, type=float,
              help="Per-image, per-channel constant added to the noise (0: plain DDPM training).")
@click.option("--unet-config", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="JSON of UNet2DModel arguments (default: the demo model's architecture).")
@click.option("--resume", is_flag=True, help="Continue from OUT/checkpoint.pt.")
def train(data, out, steps, minutes, batch_size, lr, warmup, ema_decay, seed, offset_noise, unet_config,
          resume) -> None:
    """Train a small DDPM UNet2DModel with PyTorch (needs the 'train' extra)."""
    from ..train import TrainSettings, read_unet_config
    from ..train import train as run_training

    settings = TrainSettings(steps=steps, minutes=minutes, batch_size=batch_size, learning_rate=lr, warmup=warmup,
                             ema_decay=ema_decay, seed=seed, offset_noise=offset_noise)
    if unet_config is not None:
        settings.unet = read_unet_config(unet_config)
    run_training(data, out, settings, resume=resume, log=lambda line: click.echo(line, err=True))


def print_profile(timings: list[tuple[str, str, float, float]]) -> None:
    echo = lambda line: click.echo(line, err=True)  # noqa: E731
    echo(f"{'wall s':>8} {'cpu s':>8}  statement")
    for label, op, wall, cpu in timings:
        echo(f"{wall:8.3f} {cpu:8.3f}  {label} ({op})")
    categories: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
    for _, op, wall, cpu in timings:
        categories[op][0] += wall
        categories[op][1] += cpu
        categories[op][2] += 1
    echo(f"\n{'layer kind':12} {'count':>5} {'wall s':>8} {'cpu s':>8}")
    for op, (wall, cpu, n) in sorted(categories.items(), key=lambda kv: -kv[1][0]):
        echo(f"{op:12} {n:5d} {wall:8.3f} {cpu:8.3f}")
    total_wall, total_cpu = sum(t[2] for t in timings), sum(t[3] for t in timings)
    echo(f"{'total':12} {len(timings):5d} {total_wall:8.3f} {total_cpu:8.3f}")
