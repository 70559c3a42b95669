"""Sampling options into a scheduler and its plan, for every front end: the command line, serve's
JSON, export-web, generate-many and the Python pipelines.

A `Recipe` is everything that decides a run's sampling but the model and the seed: a sampler (a
short name of `schedulers.SAMPLERS`), its options and its plan (a number of steps or a list of
timesteps). `choose` is the one policy for what a user did not say: no sampler option at all is the
default sampler; a plan given without a sampler is DDPM's; each sampler's own default plan
otherwise (`Scheduler.default_steps` / `default_timesteps`). Its messages are the one-line ones
every front end shows.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import SQLDiffusionError
from .fields import shown
from .schedulers import SAMPLERS, Scheduler, make_scheduler
from .schedulers.schedule import BLOG_TIMESTEPS

# With no sampler option at all (the command line, the web page): the sampler and steps that measure
# best on the demo model within 8 UNet passes, the grain of its backgrounds counted
# (benchmarks/samplers.py, BENCHMARKS.md, docs/samplers.md).
DEFAULT_SAMPLER, DEFAULT_KARRAS, DEFAULT_STEPS = "dpmpp-2m-sde", True, 8
BLOG = ",".join(map(str, BLOG_TIMESTEPS))


@dataclass(frozen=True)
class Recipe:
    """A sampler, its options and its plan: with a model's schedule, a scheduler ready to run."""

    sampler: str = DEFAULT_SAMPLER
    steps: int | None = DEFAULT_STEPS
    timesteps: tuple[float, ...] | None = None
    karras: bool = DEFAULT_KARRAS
    eta: float = 0.0
    add_noise: bool = True

    def scheduler(self, config=None) -> Scheduler:
        """The recipe's scheduler on the schedule of `config` (a model's scheduler_config.json or a
        scheduler's `.config`), its options checked, its plan not yet made (`plan`)."""
        return make_scheduler(self.sampler, config, self.eta, self.add_noise, self.karras)

    def plan(self, scheduler: Scheduler) -> Scheduler:
        """`scheduler` with the recipe's plan set (Karras sigmas are computed in SQL, once)."""
        scheduler.set_timesteps(self.steps, self.timesteps)
        return scheduler

    def planned(self, config=None) -> Scheduler:
        return self.plan(self.scheduler(config))

    @property
    def blog(self) -> bool:
        """Whether this is the blog's schedule (DDPM on its four timesteps)."""
        return self.sampler == "ddpm" and self.steps is None and self.timesteps == BLOG_TIMESTEPS

    def call_arguments(self) -> dict:
        """The pipelines' arguments that run this recipe's plan."""
        return dict(num_inference_steps=self.steps, timesteps=self.timesteps)


DEFAULT = Recipe()


def choose(sampler: str | None = None, steps: int | None = None, timesteps=None, karras: bool = False,
           blog: bool = False, eta: float = 0.0, no_noise: bool = False, editing: bool = False,
           configured: str = "ddpm") -> Recipe:
    """The recipe of a sampling command's options: `blog` is `--sampler ddpm --timesteps 500,...,0`;
    no sampler option at all is DEFAULT (`editing`: DDPM on the blog's schedule); a plan given
    without a sampler is DDPM's, and `karras` alone the default sampler's with Karras sigmas. A
    consistency model (`configured`, the sampler its scheduler config names) samples with its own
    scheduler whatever the options. `timesteps`: a list, or its text ("500,250,0")."""
    if isinstance(timesteps, str):
        timesteps = parse_timesteps(timesteps)
    timesteps = None if timesteps is None else tuple(timesteps)
    if configured == "consistency" and sampler is None and not blog:
        sampler = "consistency"
    if blog:
        if sampler is not None or steps is not None or timesteps is not None or karras:
            raise SQLDiffusionError(f"--blog means --sampler ddpm --timesteps {BLOG}: give it without "
                                    "--sampler, --steps, --timesteps or --karras")
        return Recipe("ddpm", None, BLOG_TIMESTEPS, False)
    if editing and karras:
        raise SQLDiffusionError("--karras applies to generate; edit runs the plain DPM-Solver++ plan")
    chosen = sampler is not None or steps is not None or timesteps is not None or karras or eta or no_noise
    if not chosen and not editing:
        return DEFAULT
    if sampler is None:
        sampler = DEFAULT_SAMPLER if karras else "ddpm"  # --karras alone: the default Karras sampler
    if sampler not in SAMPLERS:
        raise SQLDiffusionError(f"unknown sampler {shown(sampler)} (available: {', '.join(SAMPLERS)})")
    if steps is None and timesteps is None:
        cls = SAMPLERS[sampler][0]
        steps, timesteps = cls.default_steps, cls.default_timesteps
    return Recipe(sampler, steps, timesteps, bool(karras), float(eta), not no_noise)


def parse_timesteps(text: str) -> tuple[int, ...]:
    """--timesteps: whole numbers separated by commas."""
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise SQLDiffusionError(f"--timesteps {shown(text)}: expected whole numbers separated by commas, "
                                f"such as {BLOG}") from None


# How a page shows each sampler.
TITLES = {"ddpm": "DDPM", "ddim": "DDIM", "pndm": "PNDM (PLMS)", "dpmpp-2m": "DPM-Solver++ 2M",
          "dpmpp-3m": "DPM-Solver++ 3M", "dpmpp-2m-sde": "DPM-Solver++ 2M SDE", "unipc": "UniPC", "euler": "Euler",
          "euler-a": "Euler ancestral", "heun": "Heun (2 passes a step)", "consistency": "consistency model"}


def offered() -> list[dict]:
    """The samplers a page offers, from the schedulers: each with its title and what it takes (eta,
    Karras sigmas, no added noise); the consistency models' is for those models alone."""
    return [{"name": name, "label": TITLES.get(name, name), "eta": "eta" in cls.options, "karras": cls.karras_allowed,
             "no_noise": "add_noise" in cls.options}
            for name, (cls, _) in SAMPLERS.items() if name != "consistency"]
