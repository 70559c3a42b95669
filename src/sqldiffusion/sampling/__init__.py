"""Sampling: the noise schedule, the plan of timesteps, and the denoising loop in SQL."""

from .sampler import Step, denoise, image_size
from .schedule import NoiseSchedule, parse_timesteps, plan

__all__ = ["NoiseSchedule", "Step", "denoise", "image_size", "parse_timesteps", "plan"]
