"""The `sqldiffusion` command."""

from __future__ import annotations

import os
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import click
import numpy as np

from .errors import SQLDiffusionError
from .engines import ENGINES


@click.group()
@click.version_option(package_name="sqldiffusion")
def cli() -> None:
    """Diffusion models whose whole neural network runs as SQL inside a database."""


@cli.command()
@click.option("--model", "-m", required=True, help="Diffusers model folder (UNet or pipeline) or Hub id.")
@click.option("--input", "-i", "input_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="float32 .npy sample, (B, C, H, W) or (C, H, W).")
@click.option("--timestep", "-t", required=True, help="One timestep, or one per image: 999 or 999,500.")
@click.option("--output", "-o", "output_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the predicted noise (.npy, same shape as the input).")
@click.option("--engine", type=click.Choice(ENGINES), default="duckdb", show_default=True)
@click.option("--db", "database", type=click.Path(dir_okay=False), help="Database file (default: in memory).")
@click.option("--show-sql", is_flag=True, help="Print the SQL program of the pass.")
@click.option("--profile", is_flag=True, help="Print the time of every statement and per layer kind.")
def unet(model, input_path, timestep, output_path, engine, database, show_sql, profile) -> None:
    """One UNet pass in SQL: predict the noise in a sample."""
    from .api import SQLUNet

    sample = _load_npy(input_path)
    single = sample.ndim == 3
    timesteps = _parse_timesteps(timestep)
    _check_writable(output_path)
    click.echo(f"loading {model} into {engine} ({database or 'in memory'})", err=True)
    net = SQLUNet(model, engine, database)
    sample, timesteps = net.check_inputs(sample, timesteps)
    if show_sql:
        click.echo(net.program(*sample.shape[2:]).text())
    timings: list[tuple[str, str, float, float]] = []
    out = net(sample, timesteps, lambda s, wall, cpu: timings.append((s.label, s.op, wall, cpu)))
    if single:
        out = out[0]
    _save_npy(output_path, out)
    if profile:
        _print_profile(timings)
    click.echo(f"wrote {output_path} {list(out.shape)} in {sum(t[2] for t in timings):.2f} s of SQL", err=True)


@cli.command()
@click.option("--data", default="procedural", show_default=True,
              help="'procedural' (drawn butterflies) or a folder of images.")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for checkpoints and the trained model (diffusers layout).")
@click.option("--steps", default=6000, show_default=True, type=click.IntRange(min=1), help="Optimiser steps in all.")
@click.option("--batch-size", default=32, show_default=True, type=click.IntRange(min=1))
@click.option("--lr", default=5e-4, show_default=True, type=float, help="Peak learning rate (AdamW).")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--resume", is_flag=True, help="Continue from OUT/checkpoint.pt.")
def train(data, out, steps, batch_size, lr, seed, resume) -> None:
    """Train a small DDPM UNet2DModel with PyTorch (needs the 'train' extra)."""
    from .train import TrainSettings, train as run_training

    settings = TrainSettings(steps=steps, batch_size=batch_size, learning_rate=lr, seed=seed)
    run_training(data, out, settings, resume=resume, log=lambda line: click.echo(line, err=True))


def _load_npy(path: Path) -> np.ndarray:
    try:
        array = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise SQLDiffusionError(f"{path}: no such file") from None
    except (ValueError, OSError, EOFError) as e:
        raise SQLDiffusionError(f"{path}: not a .npy array ({e}); save one with numpy.save") from None
    if not isinstance(array, np.ndarray):
        raise SQLDiffusionError(f"{path}: holds several arrays; give a single .npy array")
    return array


def _parse_timesteps(text: str) -> list[float]:
    try:
        return [float(part) for part in text.split(",")]
    except ValueError:
        raise SQLDiffusionError(f"--timestep {text!r}: expected a number or comma-separated numbers") from None


def _check_writable(path: Path) -> None:
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise SQLDiffusionError(f"{path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise SQLDiffusionError(f"{path}: folder {folder} is not writable")


def _save_npy(path: Path, array: np.ndarray) -> None:
    """Write via a temporary file and rename, so a failure never leaves half a file."""
    with tempfile.NamedTemporaryFile(dir=path.parent if str(path.parent) else ".", suffix=".npy", delete=False) as f:
        np.save(f, array)
    os.replace(f.name, path)


def _print_profile(timings: list[tuple[str, str, float, float]]) -> None:
    echo = lambda line: click.echo(line, err=True)  # noqa: E731
    echo(f"{'wall s':>8} {'cpu s':>8}  statement")
    for label, op, wall, cpu in timings:
        echo(f"{wall:8.3f} {cpu:8.3f}  {label} ({op})")
    kinds: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
    for _, op, wall, cpu in timings:
        kinds[op][0] += wall
        kinds[op][1] += cpu
        kinds[op][2] += 1
    echo(f"\n{'layer kind':12} {'count':>5} {'wall s':>8} {'cpu s':>8}")
    for op, (wall, cpu, n) in sorted(kinds.items(), key=lambda kv: -kv[1][0]):
        echo(f"{op:12} {n:5d} {wall:8.3f} {cpu:8.3f}")
    total_wall, total_cpu = sum(t[2] for t in timings), sum(t[3] for t in timings)
    echo(f"{'total':12} {len(timings):5d} {total_wall:8.3f} {total_cpu:8.3f}")


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except SQLDiffusionError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
