"""What a run reports while it runs, for whoever watches it: the web page, a notebook, a log.

>>> def show(event):
...     if isinstance(event, StepFinished):
...         print(event.step.index + 1, event.step.timestep, event.prediction.shape)
>>> pipe(timesteps=[500, 250, 125, 60, 0], seed=0, on_event=show)

A pass reports every statement twice, as it starts and when it has finished (with its wall and CPU
time); a sampler step reports the new sample x_t and the clean picture the step predicted, x0, both
fetched from the engine, where SQL computed them. A latent model's run also reports, with each
step, the previews of both (`sqldiffusion.preview`, computed in SQL), and the statements of its
final decode (network "decoder"). A handler that raises stops the run between two statements (the
run's relations are dropped as on any failure).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .program import Statement


@dataclass(frozen=True)
class Step:
    index: int  # 0-based position in the plan
    total: int  # steps in the plan
    timestep: float  # the UNet pass's (fractional for the sigma samplers)
    prev: float  # the timestep it steps to (-1 after the last)


@dataclass(frozen=True)
class StatementStarted:
    statement: Statement  # .label is the diffusers module, .sql the SELECT, .shape what it makes
    step: Step  # the sampler step whose UNet pass runs it (the decoder's: the last step)
    # whose program: "unet", "decoder" (a latent model's final decode) or "text_encoder" (a prompt's
    # encoding, before the first pass)
    network: str = "unet"


@dataclass(frozen=True)
class StatementFinished:
    statement: Statement
    step: Step
    seconds: float  # wall-clock time of the statement
    cpu_seconds: float  # this process's CPU time (an embedded engine's threads; not a server's)
    network: str = "unet"  # as StatementStarted's


@dataclass(frozen=True)
class StepFinished:
    step: Step
    sample: np.ndarray  # x_t after the step, (B, C, H, W) in about [-1, 1]
    prediction: np.ndarray  # the clean picture x0 the step predicted from its x_t (clipped as the sampler clips)
    seconds: float  # since the run began
    # a latent model's sample and prediction as its preview shows them, (B, 3, H, W) in about [-1, 1],
    # computed in SQL (None for a pixel model, whose samples are its pictures)
    sample_preview: np.ndarray | None = None
    prediction_preview: np.ndarray | None = None

    @property
    def pictures(self) -> tuple[np.ndarray, np.ndarray]:
        """What to show of the step, x_t and x0: their previews in a latent run, else themselves."""
        if self.sample_preview is not None:
            return self.sample_preview, self.prediction_preview
        return self.sample, self.prediction


Event = StatementStarted | StatementFinished | StepFinished
