"""Classifier-free guidance in SQL, as diffusers' StableDiffusionPipeline applies it.

A guided pass runs the UNet once on a batch twice the pictures': items 0 .. B-1 read the unconditional
(negative prompt's) text, items B .. 2B-1 the prompt's, the sample the same for both halves. The two
predictions are then combined in one statement, `u + g (c - u)`, and where `guidance_rescale` is asked,
rescaled as diffusers' `rescale_noise_cfg` does (Lin et al., "Common Diffusion Noise Schedules and Sample
Steps are Flawed", 3.4): the guided prediction's standard deviation per picture brought back towards the
prompt's own prediction's. The scheduler then steps with the guided prediction, as with any other.

Only create/rename/drop reach the engine, so an exported script could hold the same statements.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import SQLDiffusionError
from .literals import number
from .program import SAMPLE

UNGUIDED = "sqld_sample_one"  # the pictures' own sample, kept aside while the doubled batch is in SAMPLE
GUIDED = "sqld_guided"  # the guided prediction
SPREAD = "sqld_guided_std"  # guidance_rescale: per picture, the prompt's and the guided prediction's std
RELATIONS = (UNGUIDED, GUIDED, SPREAD, f"{GUIDED}_rescaled")  # every relation guidance may leave behind


@dataclass(frozen=True)
class Guidance:
    """Classifier-free guidance of scale `scale` (diffusers' guidance_scale) for `batch` pictures."""

    scale: float
    batch: int
    rescale: float = 0.0  # diffusers' guidance_rescale: 0 (none) to 1

    def __post_init__(self) -> None:
        check_guidance(self.scale, self.rescale)

    @property
    def passes_batch(self) -> int:
        """The UNet's batch: the unconditional and the conditional half."""
        return 2 * self.batch

    def double_sample(self, engine, channels: int) -> None:
        """SAMPLE holds the batch twice (unconditional half first); the pictures' own is kept aside."""
        dialect = engine.dialect
        items = dialect.channels("s", channels)
        engine.rename(SAMPLE, UNGUIDED)
        engine.create(SAMPLE, f"SELECT s.b, s.y, s.x, {items} FROM {UNGUIDED} s\nUNION ALL\n"
                              f"SELECT {dialect.cast(f's.b + {self.batch}', 'INTEGER')} AS b, s.y, s.x, {items} "
                              f"FROM {UNGUIDED} s")

    def restore_sample(self, engine) -> None:
        engine.drop(SAMPLE)
        engine.rename(UNGUIDED, SAMPLE)

    def combine(self, engine, predictions: str, channels: int) -> str:
        """The guided prediction of the pass whose output is in `predictions` (2B items), as relation GUIDED."""
        dialect = engine.dialect
        unconditional, conditional = self.halves(dialect, predictions, channels)
        g = number(float(self.scale))
        engine.create(GUIDED, dialect.pixelwise(channels, lambda u, c: f"{u} + {g} * ({c} - {u})",
                                                [unconditional, conditional]))
        if self.rescale:
            self.rescaled(engine, conditional, channels)
        return GUIDED

    def halves(self, dialect, predictions: str, channels: int) -> tuple[str, str]:
        """Subqueries: the unconditional half, and the conditional half numbered 0 .. B-1."""
        items = dialect.channels("p", channels)
        first = f"(SELECT p.b, p.y, p.x, {items} FROM {predictions} p WHERE p.b < {self.batch})"
        second = (f"(SELECT {dialect.cast(f'p.b - {self.batch}', 'INTEGER')} AS b, p.y, p.x, {items} "
                  f"FROM {predictions} p WHERE p.b >= {self.batch})")
        return first, second

    def rescaled(self, engine, conditional: str, channels: int) -> None:
        """rescale_noise_cfg: guided * (phi * std(cond) / std(guided) + 1 - phi), std per picture over
        all its values, unbiased as torch's."""
        dialect = engine.dialect
        engine.create(SPREAD, f"SELECT c.b, c.sd AS cond_sd, g.sd AS guided_sd FROM\n"
                              f"({spread_sql(dialect, conditional, channels)}) c\n"
                              f"JOIN ({spread_sql(dialect, GUIDED, channels)}) g ON g.b = c.b")
        phi = number(float(self.rescale))
        factor = f"({phi} * f.cond_sd / f.guided_sd + {number(1.0 - self.rescale)})"
        items = dialect.map_channels(channels, lambda x: f"{x} * {factor}", "r0", cast=True)
        engine.create(f"{GUIDED}_rescaled", f"SELECT r0.b, r0.y, r0.x, {items}\n"
                                            f"FROM {GUIDED} r0 JOIN {SPREAD} f ON f.b = r0.b")
        engine.drop(GUIDED, SPREAD)
        engine.rename(f"{GUIDED}_rescaled", GUIDED)


def spread_sql(dialect, relation: str, channels: int) -> str:
    """(b, sd): each picture's standard deviation over all its values, with Bessel's correction, in
    float64: from the sums of the values and of their squares per picture."""
    ones = dialect.indexed_channels(channels, lambda k: "1")
    total = f"SUM({dialect.dot_channels(channels, 'r', 'o')})"
    squares = f"SUM({dialect.dot_channels(channels, 'r', 'r')})"
    n = f"(COUNT(*) * {channels})"
    return (f"SELECT r.b, SQRT(({squares} - {total} * {total} / {n}) / ({n} - 1)) AS sd\n"
            f"FROM {relation} r CROSS JOIN (SELECT {ones}) o GROUP BY r.b")


def check_guidance(scale, rescale) -> None:
    for name, value in (("guidance_scale", scale), ("guidance_rescale", rescale)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value \
                or value in (float("inf"), float("-inf")):
            raise SQLDiffusionError(f"{name} is {value!r}; give a finite number")
    if not 0 <= rescale <= 1:
        raise SQLDiffusionError(f"guidance_rescale is {rescale}; give a number from 0 to 1")
    if abs(scale) > 1000:
        raise SQLDiffusionError(f"guidance_scale is {scale}; give a number between -1000 and 1000 (7.5 is usual)")


def guided(scale: float) -> bool:
    """Whether a scale asks for the unconditional pass: diffusers' do_classifier_free_guidance (scale > 1)."""
    return scale > 1
