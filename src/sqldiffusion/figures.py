"""The blog's figures, made by the SQL engine: the timestep embedding, the one-shot prediction from
step 999, and grids of samples (every step, every step without added noise, the 4-step schedule)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from . import pictures
from .backends import DEFAULT
from .pipeline import SQLDiffusionPipeline
from .schedulers.schedule import BLOG_TIMESTEPS
from .sql_unet import SQLUNet

BLOG_SCHEDULE = list(BLOG_TIMESTEPS)


def embedding_picture(embedding: np.ndarray, height: int = 256) -> np.ndarray:
    """(T, C) embedding values in [-1, 1] as a blue-white-red picture: timesteps down, channels across."""
    t, c = embedding.shape
    rows = np.linspace(0, t - 1, min(t, height)).round().astype(int)
    v = np.clip(embedding[rows], -1, 1)[..., None]
    blue, white, red = np.array([40, 70, 200]), np.array([255, 255, 255]), np.array([200, 40, 40])
    rgb = np.where(v < 0, white + (blue - white) * -v, white + (red - white) * v)
    picture = np.round(rgb).astype(np.uint8)
    scale = max(1, 512 // c)
    return picture.repeat(scale, axis=1)


def make_figures(model, out: Path, engine: str = DEFAULT, database: str | None = None, seed: int = 0,
                 count: int = 10, all_steps: int | None = None, log: Callable[[str], None] = print,
                 max_memory: int | None = None) -> list[Path]:
    pipe = SQLDiffusionPipeline(SQLUNet(model, engine, database, max_memory=max_memory))
    total = pipe.scheduler.schedule.num_train_timesteps
    written = []

    embedding = pipe.unet.time_embedding(range(total))
    path = out / "timestep_embedding.png"
    pictures.save_png(path, embedding_picture(embedding))
    written.append(path)
    log(f"{path}: the sinusoidal embedding of timesteps 0..{total - 1}")

    runs = [
        ("one_shot_999.png", dict(timesteps=[total - 1]), "the prediction of x0 in one step from pure noise"),
        ("four_steps.png", dict(timesteps=BLOG_SCHEDULE), f"the blog's schedule {', '.join(map(str, BLOG_SCHEDULE))}"),
        ("all_steps.png", dict(num_inference_steps=all_steps or total), "every step, with added noise"),
        ("all_steps_no_noise.png", dict(num_inference_steps=all_steps or total, add_noise=False),
         "every step, without added noise: the 'average' picture"),
    ]
    for name, options, what in runs:
        if options.get("timesteps") == BLOG_SCHEDULE and total <= BLOG_SCHEDULE[0]:
            continue  # a model trained with fewer steps has no timestep 500
        images = pipe(batch_size=count, seed=seed, output_type="latent", **options).images
        pixels = pictures.to_pixels(images)
        path = out / name
        pictures.save_png(path, pictures.grid(pixels, columns=count, scale=pictures.enlargement(pixels.shape[1], 128)))
        written.append(path)
        log(f"{path}: {what}")
    return written
