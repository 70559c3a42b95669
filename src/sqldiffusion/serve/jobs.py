"""Generations the page asks for: checked settings, a queue per engine, and what each run reports.

One worker thread owns the engine: it takes jobs in order and runs each through the pipeline,
recording the pipeline's events (`sqldiffusion.events`) as small JSON messages that any number of
readers follow by position. Cancelling a queued job takes it out of the queue; cancelling the
running one stops it before its next statement and interrupts the statement running now, so it
ends within about a second and leaves the engine usable.
"""

from __future__ import annotations

import base64
import math
import re
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field, fields

from .. import provenance
from ..diagram import decoder_module_of, module_of, text_module_of
from ..errors import SQLDiffusionError, first_line
from ..events import StatementFinished, StatementStarted, StepFinished
from ..fields import shown
from ..guidance import Guidance, guided
from ..pictures import png_bytes
from ..pipeline import MAX_SEED, SQLDiffusionPipeline, decoded_relations, image_size, relations
from ..preflight import check_fits
from ..preview import LatentPreview, latent_preview
from ..program import TOKENS, Program
from ..recipe import BLOG_TIMESTEPS, Recipe, offered, parse_timesteps
from ..schedulers import Scheduler
from ..sql_autoencoder import DECODE, SQLAutoencoder
from ..sql_text_encoder import SQLTextEncoder
from ..sql_unet import SQLUNet
from ..text_pipeline import DEFAULT_GUIDANCE, ENCODED, SQLStableDiffusionPipeline
from ..tokenizer import PromptTokenizer, checked_prompt

PAGE_SAMPLERS = {entry["name"]: entry for entry in offered()}  # the page's samplers, as /api/state lists them
MAX_BATCH = 16
TEXT_FIELDS = ("prompt", "negative_prompt", "guidance_scale")  # what a text model's form adds
MAX_QUEUED = 16  # jobs waiting behind the running one
WHOLE_TEXT = re.compile(r"[+-]?[0-9]+")  # a whole number as a form sends it: read as digits, never as a float
EXACT_FLOAT = 2 ** 53  # a float below it is the whole number that was written; from it on, maybe not
FINISHED = ("done", "cancelled", "failed")
KEPT = 32  # finished jobs whose events can still be read


@dataclass(frozen=True)
class Settings:
    """A run the page asked for: its form's fields, checked, and the plan they make."""

    model: str
    sampler: str  # a short name of schedulers.SAMPLERS
    eta: float
    schedule: str  # blog, steps, or list
    steps: int | None
    timesteps: tuple[int, ...]  # the plan, resolved
    seed: int
    batch: int
    karras: bool = False
    noise: bool = True  # DDPM: whether its steps add noise (without: the blog's "average butterfly")
    listed: tuple[int, ...] | None = None  # the timesteps the form gave (blog, list)
    scheduler: Scheduler | None = field(default=None, compare=False, repr=False)  # planned: the run's
    prompt: str | None = None  # a text model's prompt (None: the model takes none)
    negative_prompt: str = ""
    guidance_scale: float = DEFAULT_GUIDANCE

    @property
    def recipe(self) -> Recipe:
        return Recipe(self.sampler, self.steps, self.listed, self.karras, self.eta, self.noise)

    def form(self) -> dict:
        """The fields as the page's form shows them (a gallery picture's settings; a text model's
        prompt fields only where it takes text)."""
        hidden = ("listed", "scheduler") + (("prompt", "negative_prompt", "guidance_scale") if self.prompt is None
                                            else ())
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in hidden}


def parse_settings(raw: dict, models: dict[str, "Served"]) -> Settings:
    """The page's form, checked as the command line checks its options (same one-line messages):
    an option the sampler does not take (eta, karras, noise) is the form's hidden field, ignored."""
    if not isinstance(raw, dict):
        raise SQLDiffusionError("send the settings as a JSON object")
    model = raw.get("model", "demo")
    if not isinstance(model, str) or model not in models:
        raise SQLDiffusionError(f"model {shown(model)} is not served here (choose one of: {', '.join(models)})")
    sampler = raw.get("sampler", "ddpm")
    if not isinstance(sampler, str) or sampler not in PAGE_SAMPLERS:
        raise SQLDiffusionError(f"unknown sampler {shown(sampler)} (available: {', '.join(PAGE_SAMPLERS)})")
    takes = PAGE_SAMPLERS[sampler]
    eta = _number(raw.get("eta", 0.0), "eta", float) if takes["eta"] else 0.0
    karras, noise = _flag(raw, "karras", False), _flag(raw, "noise", True)
    steps, listed = None, None
    schedule = raw.get("schedule", "blog")
    if schedule == "blog":
        listed = BLOG_TIMESTEPS
    elif schedule == "steps":
        steps = _number(raw.get("steps"), "steps", int)
    elif schedule == "list":
        text = raw.get("timesteps", "")
        if not isinstance(text, str):
            raise SQLDiffusionError(f"timesteps {shown(text)}: give them as text, such as 500,250,0")
        listed = parse_timesteps(text)
    else:
        raise SQLDiffusionError(f"unknown schedule {shown(schedule)} (available: blog, steps, list)")
    recipe = Recipe(sampler, steps, listed, karras, eta, noise)
    scheduler = recipe.planned(models[model].scheduler.config)
    seed = _number(raw.get("seed", 0), "seed", int)
    if not 0 <= seed <= MAX_SEED:
        raise SQLDiffusionError(f"seed {shown(seed)} is outside 0 to {MAX_SEED}")
    batch = _number(raw.get("batch", 1), "batch", int)
    if not 1 <= batch <= MAX_BATCH:
        raise SQLDiffusionError(f"batch {batch}: make between 1 and {MAX_BATCH} images per run here")
    prompt, negative, guidance = text_settings(raw, models[model])
    net, vae = models[model].net, models[model].vae
    passes = 2 * batch if prompt is not None and guided(guidance) else batch  # guidance: the unconditional half too
    check_fits(net.config, *image_size(net.config), passes, net.max_memory)
    if vae is not None:
        check_fits(vae.config, *models[model].picture_size, batch, net.max_memory)
    return Settings(model, sampler, recipe.eta, schedule, steps, tuple(scheduler.planned), seed, batch, recipe.karras,
                    recipe.add_noise, listed, scheduler, prompt, negative, guidance)


def text_settings(raw: dict, served: "Served") -> tuple[str | None, str, float]:
    """A text model's prompt, negative prompt (JSON strings, checked as the pipeline checks them)
    and guidance scale; (None, "", default) for a model that takes no text, which refuses them."""
    given = [key for key in TEXT_FIELDS if key in raw]
    if not served.takes_text:
        if given:
            raise SQLDiffusionError(f"model {shown(served.key)} takes no prompt ({', '.join(given)} given); "
                                    "choose a text-to-image model")
        return None, "", DEFAULT_GUIDANCE
    for key in ("prompt", "negative_prompt"):
        if not isinstance(raw.get(key, ""), str):
            raise SQLDiffusionError(f"{key} {shown(raw[key])} is not text: send it as a JSON string")
    prompt = checked_prompt(raw.get("prompt", ""), "prompt")
    negative = checked_prompt(raw.get("negative_prompt", ""), "negative prompt")
    scale = _number(raw.get("guidance_scale", DEFAULT_GUIDANCE), "guidance_scale", float)
    Guidance(scale, 1)  # checked as the pipeline checks it
    return prompt, negative, scale


def _flag(raw: dict, key: str, default: bool) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise SQLDiffusionError(f"{key} {shown(value)} is not true or false")
    return value


def _number(value, what: str, number_type):
    """A JSON number (or the text of one, as a form sends it) of the kind asked for, finite; a whole
    number exactly as written (a seed is up to 2^63 - 1, beyond what a float holds)."""
    try:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)) or len(str(value)) > 40:
            raise ValueError
        if number_type is int:
            return _whole(value)
        number = float(value)
        if not math.isfinite(number):
            raise ValueError
        return number
    except Inexact:
        raise SQLDiffusionError(f"{what} {shown(value)} is too large to be exact with a point or an exponent: "
                                "write its digits, such as 9007199254740993") from None
    except (TypeError, ValueError, OverflowError):
        whole = "a whole number" if number_type is int else "a finite number"
        raise SQLDiffusionError(f"{what} {shown(value)} is not {whole}") from None


class Inexact(Exception):
    """A whole number written as a float beyond 2^53, where the float may differ from what was meant."""


def _whole(value: int | float | str) -> int:
    """`value` as an int, never through a float where that would round: 9007199254740993 (an int from
    JSON, or digits a form sends) stays itself; a float, or text such as "6.0", counts only below
    2^53, since 1e20 or 9007199254740993.0 may have lost digits before it arrives."""
    if isinstance(value, int):
        return value
    if isinstance(value, str) and WHOLE_TEXT.fullmatch(value.strip()):
        return int(value.strip())
    number = float(value)
    if not number.is_integer():  # a fraction, NaN or infinity
        raise ValueError
    if abs(number) >= EXACT_FLOAT:  # 2^53 + 1 written with a point arrives as 2^53 already
        raise Inexact
    return int(number)


@dataclass
class Served:
    """A model the server offers: its name on the page, imported into the engine."""

    key: str
    net: SQLUNet
    scheduler: Scheduler  # the one its scheduler_config.json names
    vae: SQLAutoencoder | None = None  # a latent model's autoencoder, whose decode is the picture
    text_encoder: SQLTextEncoder | None = None  # a text model's, with the tokenizer of its prompts
    tokenizer: PromptTokenizer | None = None

    @property
    def takes_text(self) -> bool:
        return self.text_encoder is not None

    def program(self) -> Program:
        """The UNet's program of one pass at its sample size (a text model's on its token count)."""
        tokens = self.tokenizer.model_max_length if self.takes_text else None
        return self.net.program(*image_size(self.net.config), tokens)

    def text_program(self) -> Program | None:
        """A text model's text encoder program on its token count (None for other models)."""
        return self.text_encoder.program(self.tokenizer.model_max_length) if self.takes_text else None

    def pipeline(self, scheduler: Scheduler) -> SQLDiffusionPipeline:
        """The pipeline of a run with `scheduler`."""
        if self.takes_text:
            return SQLStableDiffusionPipeline(self.net, self.text_encoder, self.tokenizer, scheduler, self.vae)
        return SQLDiffusionPipeline(self.net, scheduler, self.vae)

    @property
    def picture_size(self) -> tuple[int, int]:
        height, width = image_size(self.net.config)
        factor = self.vae.factor if self.vae is not None else 1
        return height * factor, width * factor

    def decoder(self) -> Program | None:
        """A latent model's decoder program at its picture size (None for a pixel model)."""
        return None if self.vae is None else self.vae.program(DECODE, *self.picture_size)

    def preview(self) -> LatentPreview | None:
        """How a latent model's steps are shown (preview.py; None for a pixel model)."""
        return latent_preview(self.vae)


class Cancelled(Exception):
    pass


class QueueFull(SQLDiffusionError):
    pass


@dataclass
class Job:
    settings: Settings
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    state: str = "queued"  # queued, running, done, cancelled, failed
    events: list[dict] = field(default_factory=list)
    cancel_requested: bool = False

    def __post_init__(self) -> None:
        self.changed = threading.Condition()

    def emit(self, event_type: str, **data) -> None:
        with self.changed:
            self.events.append({"type": event_type, **data})
            self.changed.notify_all()

    def since(self, position: int) -> list[dict]:
        with self.changed:
            return self.events[position:]

    @property
    def finished(self) -> bool:
        return self.state in FINISHED


class Runner:
    """One generation at a time on one engine; the others wait in order."""

    def __init__(self, engine, models: dict[str, Served], gallery) -> None:
        self.engine, self.models, self.gallery = engine, models, gallery
        self.jobs: dict[str, Job] = {}
        self.queue: deque[Job] = deque()
        self.running: Job | None = None
        self._lock = threading.Condition()
        self._in_statement = False
        self._stopping = False
        self._thread = threading.Thread(target=self._work, name="sqldiffusion-runner", daemon=True)
        self._thread.start()

    # ---- what the page calls ------------------------------------------------------------------
    def submit(self, settings: Settings) -> Job:
        job = Job(settings)
        with self._lock:
            if len(self.queue) >= MAX_QUEUED:
                raise QueueFull(f"{MAX_QUEUED} generations are already waiting; try again when one has finished")
            finished = [key for key, old in self.jobs.items() if old.finished]
            for key in finished[:-KEPT]:  # what a long-running server remembers stays bounded
                del self.jobs[key]
            self.jobs[job.id] = job
            self.queue.append(job)
            self._announce_places()
            self._lock.notify_all()
        return job

    def cancel(self, job: Job) -> None:
        with self._lock:
            if job.state == "queued":
                self.queue.remove(job)
                job.state = "cancelled"
                job.emit("cancelled", reason="cancelled before it started")
                self._announce_places()
            elif job.state == "running" and not job.cancel_requested:
                job.cancel_requested = True
                if self._in_statement:
                    self.engine.interrupt()

    def waiting(self) -> tuple[str | None, list[str]]:
        """The running job's id (or None) and the queued ones', in order."""
        with self._lock:
            return (self.running.id if self.running else None), [j.id for j in self.queue]

    def place(self, job: Job) -> int:
        """0 while running, 1 for the next in line, ..."""
        with self._lock:
            return 0 if job is self.running else list(self.queue).index(job) + 1 if job in self.queue else -1

    def stop(self) -> None:
        """Cancel everything and end the worker (the engine stays open for its owner to close)."""
        with self._lock:
            self._stopping = True
            for job in list(self.queue):
                self.cancel(job)
            if self.running is not None:
                self.cancel(self.running)
            self._lock.notify_all()
        self._thread.join(timeout=30)

    # ---- the worker ---------------------------------------------------------------------------
    def _announce_places(self) -> None:
        for place, waiting in enumerate(self.queue, start=1 if self.running else 0):
            waiting.emit("queued", place=place)

    def _work(self) -> None:
        while True:
            with self._lock:
                while not self.queue and not self._stopping:
                    self._lock.wait()
                if self._stopping:
                    return
                job = self.running = self.queue.popleft()
                job.state = "running"
                self._announce_places()
            try:
                self._run(job)
            except Exception as e:  # noqa: BLE001 - a failure after the pictures (the gallery's write)
                if not job.finished:  # ends the job, never the runner
                    job.state = "failed"
                    job.emit("failed", message=first_line(e))
            finally:
                with self._lock:
                    self.running = None
                    self._in_statement = False
                    self._announce_places()

    def _run(self, job: Job) -> None:
        s = job.settings
        served = self.models[s.model]
        program, text = served.program(), served.text_program()
        decoder, preview = served.decoder(), served.preview()
        indices = {network: {st.target: i for i, st in enumerate(made.statements)}
                   for network, made in (("unet", program), ("decoder", decoder), ("text_encoder", text))
                   if made is not None}
        modules = {"unet": module_of, "decoder": decoder_module_of, "text_encoder": text_module_of}
        began = time.perf_counter()
        notes: list[str] = []
        if s.prompt is not None:  # a prompt cut to the tokens the text encoder reads: said on the page too
            served.tokenizer([s.prompt, s.negative_prompt], on_cut=notes.append)
        job.emit("started", total=len(s.timesteps), timesteps=list(s.timesteps), statements=len(program.statements),
                 decoder_statements=len(decoder.statements) if decoder is not None else 0,
                 text_statements=len(text.statements) if text is not None else 0,
                 preview=preview.label if preview is not None else None, note=notes[0] if notes else None)

        def on_event(event) -> None:
            if isinstance(event, StatementStarted):
                with self._lock:
                    if job.cancel_requested:
                        raise Cancelled
                    self._in_statement = True
                network = event.network
                job.emit("statement", index=indices[network][event.statement.target], network=network,
                         module=modules[network](event.statement.label), label=event.statement.label,
                         step=event.step.index)
            elif isinstance(event, StatementFinished):
                with self._lock:
                    self._in_statement = False
                job.emit("statement_done", index=indices[event.network][event.statement.target], network=event.network,
                         seconds=round(event.seconds, 5))
            elif isinstance(event, StepFinished):
                done = event.step.index + 1
                sample, prediction = event.pictures  # a latent model's: their previews
                job.emit("step", index=event.step.index, total=event.step.total, timestep=event.step.timestep,
                         elapsed=round(event.seconds, 3),
                         left=round(event.seconds / done * (event.step.total - done), 3),
                         sample=png_data(sample), prediction=png_data(prediction))

        pipe = served.pipeline(s.scheduler or s.recipe.planned(served.scheduler.config))
        pipe.set_progress_bar_config(disable=True)
        asked = dict(batch_size=s.batch) if s.prompt is None else dict(
            prompt=s.prompt, negative_prompt=s.negative_prompt, guidance_scale=s.guidance_scale,
            num_images_per_prompt=s.batch)
        try:  # the pictures: the samples, or a latent model's decode of them
            samples = pipe(**asked, **s.recipe.call_arguments(), seed=s.seed, output_type="array",
                           on_event=on_event).images
        except BaseException as e:  # noqa: BLE001 - whatever stopped it, the page hears why
            self._clean(program, pipe.scheduler, decoder, preview, s.batch, text)
            if job.cancel_requested:
                job.state = "cancelled"
                job.emit("cancelled", reason="cancelled")
            else:
                job.state = "failed"
                job.emit("failed", message=first_line(e))
            if not isinstance(e, Exception):  # Ctrl-C, exit: after the page has heard, it goes on up
                raise
            return
        seconds = time.perf_counter() - began
        made = made_with(s, served, self.engine.name)
        entry = self.gallery.add(model=s.model, digest=served.net.model.digest, engine=self.engine.name, seed=s.seed,
                                 sampler=s.sampler, schedule=",".join(map(str, s.timesteps)), batch=s.batch,
                                 seconds=seconds, settings=s.form(), png=png_bytes(samples, provenance.chunks(made)))
        job.state = "done"
        job.emit("done", seconds=round(seconds, 3), entry=entry)

    def _clean(self, program, scheduler: Scheduler, decoder: Program | None = None,
               preview: LatentPreview | None = None, batch: int = 1, text: Program | None = None) -> None:
        """After a cancelled or failed run: its relations gone, whatever the interruption hit."""
        latents = (batch, *program.output_shape)
        try:
            self.engine.drop(*relations(program, scheduler), *(decoded_relations(decoder) if decoder else ()),
                             *(preview.relations(latents) if preview else ()),
                             *((TOKENS, *ENCODED, *(st.target for st in text.statements)) if text else ()))
        except Exception:  # noqa: BLE001 - the pipeline dropped them already; this is a second sweep
            pass


def made_with(s: Settings, served: Served, engine: str) -> dict:
    """The settings a gallery picture carries, as generate records its own: `generate --from-png`
    draws it again (the page's plan as --steps, or as the list of timesteps it visited)."""
    return provenance.record("generate", model=s.model, digest=served.net.model.digest, engine=engine,
                             size=served.picture_size, batch=s.batch, seed=s.seed, sampler=s.sampler,
                             autoencoder_digest=served.vae.model.digest if served.vae is not None else None,
                             karras=s.karras, eta=s.eta, noise=s.noise,
                             clip_sample=served.scheduler.schedule.clip_sample, prompt=s.prompt,
                             negative_prompt=s.negative_prompt if s.prompt is not None else None,
                             guidance_scale=s.guidance_scale if s.prompt is not None else None,
                             steps=s.steps if s.schedule == "steps" else None,
                             timesteps=list(s.timesteps) if s.schedule != "steps" else None)


def png_data(samples) -> str:
    return "data:image/png;base64," + base64.b64encode(png_bytes(samples)).decode()
