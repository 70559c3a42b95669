"""`SQLDiffusionPipeline`: image generation in the style of diffusers' `DDPMPipeline`, run in SQL.

>>> pipe = SQLDiffusionPipeline.from_pretrained("demo")
>>> images = pipe(batch_size=4, timesteps=[500, 250, 125, 60, 0], seed=0).images   # PIL images
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .api import SQLUNet
from .errors import SQLDiffusionError
from .model import Model
from .pictures import to_pixels
from .sampling import NoiseSchedule, Step, denoise, plan
from .sql.sampler import StepRule

SAMPLERS = ("ddpm", "ddim")


@dataclass
class ImagePipelineOutput:
    images: list | np.ndarray  # PIL images, or (B, H, W, C) floats in [0, 1] for output_type="np"


class SQLDiffusionPipeline:
    def __init__(self, unet: SQLUNet) -> None:
        self.unet = unet
        self.schedule = NoiseSchedule.from_config(unet.model.scheduler_config)

    @classmethod
    def from_pretrained(cls, model: str | Path | Model = "demo", engine: str = "duckdb",
                        database: str | None = None) -> "SQLDiffusionPipeline":
        """Load a model (folder, Hub id, or "demo") and import it into the engine (once per database)."""
        return cls(SQLUNet(model, engine, database))

    def __call__(self, batch_size: int = 1, num_inference_steps: int | None = 1000,
                 timesteps: Sequence[int] | None = None, seed: int | None = None, generator=None,
                 sampler: str = "ddpm", eta: float = 0.0, add_noise: bool = True,
                 init_noise: np.ndarray | None = None, output_type: str = "pil",
                 callback: Callable[[Step, Callable[[], np.ndarray]], None] | None = None,
                 return_dict: bool = True):
        """Generate images. `timesteps` (a descending list) overrides `num_inference_steps`.

        The noise comes from SQL, seeded by `seed` (or by `generator`: a torch.Generator's
        initial_seed, or a draw from a numpy Generator); `init_noise` (B, C, H, W) starts from a
        given x_T instead. `sampler` "ddpm" (optionally without added noise) or "ddim" (`eta`).
        """
        rule = make_rule(sampler, eta, add_noise)
        steps = None if timesteps is not None else num_inference_steps
        visited = plan(self.schedule, steps=steps, timesteps=timesteps)
        samples = denoise(self.unet, visited, rule, batch=batch_size, seed=resolve_seed(seed, generator),
                          init_noise=init_noise, on_step=callback)
        if output_type == "latent":
            images = samples
        elif output_type == "np":
            images = np.clip(samples / 2 + 0.5, 0, 1).transpose(0, 2, 3, 1)
        elif output_type == "pil":
            from PIL import Image

            images = [Image.fromarray(p.squeeze(-1) if p.shape[-1] == 1 else p) for p in to_pixels(samples)]
        else:
            raise SQLDiffusionError(f"output_type {output_type!r}: use 'pil', 'np' or 'latent'")
        return ImagePipelineOutput(images) if return_dict else (images,)


def make_rule(sampler: str, eta: float = 0.0, add_noise: bool = True) -> StepRule:
    if sampler not in SAMPLERS:
        raise SQLDiffusionError(f"unknown sampler {sampler!r} (available: {', '.join(SAMPLERS)})")
    if not 0 <= eta <= 1:
        raise SQLDiffusionError(f"eta {eta} is outside [0, 1]")
    if sampler == "ddpm" and eta:
        raise SQLDiffusionError("eta applies to the ddim sampler; for ddpm use add_noise / --no-noise")
    return StepRule(sampler, float(eta), add_noise)


def resolve_seed(seed: int | None, generator=None) -> int:
    if seed is not None and generator is not None:
        raise SQLDiffusionError("give a seed or a generator, not both")
    if generator is not None:
        if hasattr(generator, "initial_seed"):  # torch.Generator
            return int(generator.initial_seed()) % 2 ** 62
        if hasattr(generator, "integers"):  # numpy.random.Generator
            return int(generator.integers(0, 2 ** 62))
        raise SQLDiffusionError("generator must be a torch.Generator or a numpy.random.Generator")
    if seed is None:
        return int(np.random.SeedSequence().entropy % 2 ** 62)
    if int(seed) < 0:
        raise SQLDiffusionError(f"seed {seed} is negative")
    return int(seed) % 2 ** 62
