"""The `sqldiffusion` command."""

from __future__ import annotations

import functools
import signal
import sys
import time
from collections import defaultdict
from pathlib import Path

import click
import numpy as np

from .errors import RunFailed, SQLDiffusionError, first_line
from .redact import redact
from .scheduler import BLOG_TIMESTEPS as BLOG, DEFAULT_KARRAS, DEFAULT_SAMPLER, DEFAULT_STEPS, KARRAS_SAMPLERS, SAMPLERS
from .backends import BACKENDS, DEFAULT as DEFAULT_ENGINE, backend_package, engine_class
from .pipeline import MAX_SEED
from .many import DEFAULT_ENGINE as MANY_DEFAULT, ENGINES as MANY_ENGINES, SESSION_ENGINE as MANY_SESSION, server_flags

SEED = click.IntRange(0, MAX_SEED)  # every command's --seed


def _many_engine_help() -> str:
    """generate-many's --engine help, from how each engine runs the tasks (many.ENGINES)."""
    def how(name: str, mode: str) -> str:
        if mode == "embedded":
            return f"{name}: each task runs the SQL in a {name} of its own"
        if mode == "server":
            return f"{name}: every task on the server {server_flags(name)} names (required here)"
        return f"{name}: as SQL on the Spark session itself"

    return f"Where the tasks' SQL runs [default: {MANY_DEFAULT}]: " + \
        "; ".join(how(name, mode) for name, mode in MANY_ENGINES.items()) + "."


def engine_options(command=None, **choice):
    """--engine and every engine option the backends declare (backends/options.py), resolved into
    `engine` and `database` (the engine's target, made by its backend from its options). Bare, for
    a command that runs on any engine; with arguments (generate-many), those of _with_engine_options."""
    if command is None:
        return functools.partial(_with_engine_options, **choice)
    return _with_engine_options(command)


def _with_engine_options(command, *, engines=tuple(BACKENDS), options_of=None, default=DEFAULT_ENGINE, session=None,
                         memory=True, engine_help=None):
    """`engines` offered by --engine; `options_of`: the backends whose options are taken (default:
    those engines); `session`: a backend whose SESSION_OPTIONS are taken whatever the engine, its
    target passed as `session`; `memory`: whether --max-memory is offered."""
    engines = list(engines)
    sources = list(engines if options_of is None else options_of) + ([session] if session else [])
    declared = _declared_options(dict.fromkeys(sources))
    for_session = set(backend_package(session).SESSION_OPTIONS) if session else set()

    @functools.wraps(command)
    def resolved(*args, engine, max_memory=None, **kwargs):
        from . import preflight

        preflight.given_limit = preflight.parse_size(max_memory) if max_memory is not None else None
        values = {flag: kwargs.pop(option.dest) for flag, (option, _) in declared.items()}
        given = [flag for flag, value in values.items() if value not in (None, ())]
        if engine is None:
            selecting = {backend for flag in given if declared[flag][0].selects
                         for backend in declared[flag][1] if backend in engines}
            engine = selecting.pop() if len(selecting) == 1 else default
        misplaced = [flag for flag in given if engine not in declared[flag][1] and flag not in for_session]
        if misplaced:
            owners = sorted({backend for flag in misplaced for backend in declared[flag][1]})
            raise SQLDiffusionError(f"{_listed(misplaced)} appl{'ies' if len(misplaced) == 1 else 'y'} to "
                                    f"--engine {' or '.join(owners)}, not {engine}; drop "
                                    f"{'it' if len(misplaced) == 1 else 'them'} or choose that engine")
        own = {declared[flag][0].dest: value for flag, value in values.items() if engine in declared[flag][1]}
        kwargs["database"] = backend_package(engine).target(**own)
        if session:
            kwargs["session"] = backend_package(session).target(
                **{declared[flag][0].dest: value for flag, value in values.items() if flag in for_session})
        return command(*args, engine=engine, **kwargs)

    if memory:
        resolved = click.option("--max-memory", metavar="SIZE",
                                help="Memory a run may use, e.g. 8G [default: what the machine has available]; "
                                     "a run estimated to need more is refused before it starts.")(resolved)
    for flag, (option, _) in reversed(declared.items()):
        resolved = click.option(flag, option.dest, help=option.help, metavar=option.metavar,
                                multiple=option.takes == "pairs", type=_OPTION_TYPES[option.takes])(resolved)
    selecting = [f"{backend} with {flag}" for flag, (option, backends) in declared.items() if option.selects
                 for backend in backends if backend in engines]
    return click.option("--engine", type=click.Choice(engines),
                        help=engine_help or f"Database engine [default: {default}{', or ' if selecting else ''}"
                                            f"{', '.join(selecting)}].")(resolved)


_OPTION_TYPES = {"text": None, "pairs": None, "file": click.Path(dir_okay=False), "folder": click.Path(file_okay=False)}


def _declared_options(backends=BACKENDS) -> dict:
    """flag -> (option, the backends declaring it), in the registry's order; one flag, one meaning."""
    declared: dict = {}
    for backend in backends:
        for option in backend_package(backend).OPTIONS:
            known = declared.setdefault(option.flag, (option, []))
            if (known[0].takes, known[0].dest) != (option.takes, option.dest):
                raise RuntimeError(f"backends declare {option.flag} twice with two meanings")
            known[1].append(backend)
    return declared


def _listed(flags: list[str]) -> str:
    return flags[0] if len(flags) == 1 else f"{', '.join(flags[:-1])} and {flags[-1]}"


def _planned(loaded, steps: int | None, timestep_list: str | None, rule) -> list[int]:
    """The timesteps a run of `loaded` with step rule `rule` visits: --steps, --timesteps, or the
    sampler's default."""
    from .scheduler import NoiseSchedule, parse_timesteps
    from .schedulers import plan

    steps, timestep_list = _default_plan(rule.sampler, steps, timestep_list)
    return plan(NoiseSchedule.from_config(loaded.scheduler_config), steps=steps,
                timesteps=parse_timesteps(timestep_list) if timestep_list is not None else None,
                sampler=rule.sampler, karras=rule.karras)


DPM_STEPS = 8  # a fast solver (dpmpp-*, euler*, heun) without --steps or --timesteps
BLOG_TIMESTEPS = ",".join(map(str, BLOG))


def _default_plan(sampler: str, steps: int | None, timestep_list: str | None) -> tuple[int | None, str | None]:
    """--steps and --timesteps as given, or when neither is: the blog's four steps for ddpm and
    ddim, DPM_STEPS for the fast solvers."""
    if steps is None and timestep_list is None:
        if sampler == "consistency":
            return None, None  # the scheduler's own default: one pass
        if sampler not in ("ddpm", "ddim"):
            return DPM_STEPS, None
        return None, BLOG_TIMESTEPS
    return steps, timestep_list


def _choose_sampler(sampler, steps, timestep_list, karras, blog, eta, no_noise, editing=False, configured="ddpm"):
    """(sampler, steps, timestep_list, karras) of a sampling command's options: `--blog` is
    `--sampler ddpm --timesteps BLOG_TIMESTEPS`; no sampler option at all is the default
    (DEFAULT_SAMPLER; `edit` keeps DDPM on the blog's schedule); a plan given without --sampler
    is DDPM's, as it always was. A consistency model (`configured`, from its scheduler config)
    samples with its own scheduler whatever the options."""
    if configured == "consistency" and sampler is None and not blog:
        sampler = "consistency"
    chosen = sampler is not None or steps is not None or timestep_list is not None or karras or eta or no_noise
    if blog:
        if sampler is not None or steps is not None or timestep_list is not None or karras:
            raise SQLDiffusionError(f"--blog means --sampler ddpm --timesteps {BLOG_TIMESTEPS}: give it without "
                                    "--sampler, --steps, --timesteps or --karras")
        return "ddpm", None, BLOG_TIMESTEPS, False
    if not chosen and not editing:
        return DEFAULT_SAMPLER, DEFAULT_STEPS, None, DEFAULT_KARRAS
    if sampler is None:
        sampler = DEFAULT_SAMPLER if karras else "ddpm"  # --karras alone: the default Karras sampler
    steps, timestep_list = _default_plan(sampler, steps, timestep_list)
    return sampler, steps, timestep_list, karras


def _class_labels(text: str | None, config) -> list[int] | None:
    """--class-label: one class, or one per image, comma-separated; each a number or, for a model
    of ImageNet's classes, a name (king_penguin)."""
    from .classes import class_number

    if text is None:
        return None
    if config.class_embed_type == "identity":
        raise SQLDiffusionError("this model takes its class embeddings as vectors (class_embed_type identity): "
                                "give them in Python, pipe(class_labels=...); --class-label takes numbers")
    if not text.strip():
        raise SQLDiffusionError("--class-label is empty: give a class number, or one per image (3,7)")
    return [class_number(part, config.num_class_embeds) for part in text.split(",")]


def force_option(command):
    return click.option("--force", is_flag=True, help="Replace read-only output files.")(command)


def _where(engine: str, database) -> str:
    return engine_class(engine).describe(database)


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
@engine_options
@click.option("--class-label", "class_label", help="Class-conditional models: one class, or one per image (3,7).")
@click.option("--show-sql", is_flag=True, help="Print the SQL program of the pass.")
@click.option("--profile", is_flag=True, help="Print the time of every statement and per kind of work.")
@force_option
def unet(model, input_path, timestep, output_path, engine, database, class_label, show_sql, profile, force) -> None:
    """One UNet pass in SQL: predict the noise in a sample."""
    from . import pictures
    from .outputs import check_output
    from .sql_unet import SQLUNet

    sample = _load_npy(input_path, "--input")
    single = sample.ndim == 3
    timesteps = _parse_timesteps(timestep)
    output_path = check_output(output_path, "npy", force, "--output")
    click.echo(f"loading {model} into {_where(engine, database)}", err=True)
    net = SQLUNet(model, engine, database)
    sample, timesteps = net.check_inputs(sample, timesteps)
    if show_sql:
        click.echo(net.program(*sample.shape[2:]).text())
    timings: list[tuple[str, str, float, float]] = []
    out = net(sample, timesteps, lambda s, wall, cpu: timings.append((s.label, s.category, wall, cpu)),
              class_labels=_class_labels(class_label, net.config))
    if single:
        out = out[0]
    pictures.save_npy(output_path, out)
    if profile:
        _print_profile(timings)
    click.echo(f"wrote {output_path} {list(out.shape)} in {sum(t[2] for t in timings):.2f} s of SQL", err=True)


def sampling_options(command):
    """The options of every command that samples: model, engine, plan, sampler, seed, outputs."""
    options = [
        click.option("--model", "-m", default="demo", show_default=True,
                     help="'demo' (shipped), a diffusers model folder (UNet or pipeline) or a Hub id."),
        engine_options,
        click.option("--steps", type=int, help="Number of denoising steps, spaced as diffusers does."),
        click.option("--timesteps", "timestep_list", help="Descending timesteps to visit (DDPM unless --sampler says otherwise)."),
        click.option("--sampler", help=f"{', '.join(SAMPLERS)} (the fast solvers take 8 steps unless told) "
                                       f"[default: {DEFAULT_SAMPLER}{' --karras' if DEFAULT_KARRAS else ''}, {DEFAULT_STEPS} steps; "
                                       "ddpm with --steps or --timesteps]."),
        click.option("--blog", is_flag=True, help=f"The blog's schedule: --sampler ddpm --timesteps {BLOG_TIMESTEPS}."),
        click.option("--eta", default=0.0, show_default=True, type=float, help="DDIM noise: 0 deterministic, 1 as DDPM."),
        click.option("--karras", is_flag=True, help=f"Karras sigmas (diffusers' use_karras_sigmas): "
                                                    f"{', '.join(KARRAS_SAMPLERS)}."),
        click.option("--no-noise", is_flag=True, help="DDPM without the added noise (the blog's 'average butterfly')."),
        click.option("--seed", default=0, show_default=True, type=SEED, help="Seed of the SQL noise."),
        click.option("--class-label", "class_label",
                     help="Class-conditional models: the class of every image, or one per image (3,7); "
                          "ImageNet models take names too (king_penguin) [default: drawn with the seed]."),
        click.option("--batch", type=int, help="Images in one run [default: 1, or as many as --init-noise holds]."),
        click.option("--out", "out", default="sqldiffusion.png", show_default=True,
                     type=click.Path(dir_okay=False, path_type=Path),
                     help="Picture to write, .png or another format Pillow writes (a grid when --batch > 1)."),
        click.option("--gif", type=click.Path(dir_okay=False, path_type=Path), help="GIF of the denoising trajectory."),
        click.option("--ascii/--no-ascii", "show_ascii", default=None,
                     help="Print the picture as ASCII (the blog's), or not at all [default: colour half blocks "
                          "where the terminal shows true colour (COLORTERM), else ASCII]."),
        click.option("--color", "--colour", "colour", is_flag=True, help="Print true-colour half-block art."),
        click.option("--init-noise", type=click.Path(dir_okay=False, path_type=Path),
                     help="Start from this float32 (B, C, H, W) .npy instead of SQL noise."),
        click.option("--save-npy", type=click.Path(dir_okay=False, path_type=Path), help="Write the final sample (.npy)."),
        click.option("--quiet", "-q", is_flag=True, help="No progress bar or messages."),
        force_option,
    ]
    for option in reversed(options):
        command = option(command)
    return command


@cli.command()
@sampling_options
@click.option("--from-png", "from_png", type=click.Path(path_type=Path),  # what it is: read_png's one line
              help="Draw the pictures a PNG that generate wrote carries the settings of, again (the options given "
                   "here win).")
def generate(from_png, **options) -> None:
    """Generate images: the UNet, the sampler and the noise all run in SQL."""
    if from_png is not None:
        return _from_png(from_png)
    _sample(**options)


def _from_png(path: Path) -> None:
    """generate --from-png: the picture's settings become the options not given on the command line,
    parsed by generate's own options (so checked as typed ones are); the picture's model must be
    the one found here, by digest, unless --model is given."""
    from click.core import ParameterSource

    from . import provenance

    ctx = click.get_current_context()
    given = {name for name in ctx.params if name != "from_png" and
             ctx.get_parameter_source(name) not in (ParameterSource.DEFAULT, ParameterSource.DEFAULT_MAP)}
    settings = provenance.read_png(path)
    if settings["command"] != "generate":
        raise SQLDiffusionError(f"--from-png {path}: the picture was made by sqldiffusion {settings['command']}, not "
                                f"generate; run {settings['command']} again with the settings its 'parameters' text "
                                "chunk shows")
    engine_params = {"engine", "max_memory"} | {option.dest for option, _ in _declared_options().values()}
    args = provenance.arguments(settings, given, engine_params, BACKENDS)
    try:
        parsed = generate.make_context("generate", args, parent=ctx.parent).params
    except click.ClickException as e:
        raise SQLDiffusionError(f"--from-png {path}: its settings do not make options generate takes "
                                f"({first_line(e.format_message())})") from None
    options = {name: ctx.params[name] if name in given else parsed[name] for name in ctx.params}
    if "model" not in given:
        options["model"] = _model_of_picture(path, settings)
    elif options["model"] != settings["model"]:
        click.echo(f"drawing with --model {options['model']}; the picture was drawn with {settings['model']}", err=True)
    if settings.get("init_noise_sha256") and "init_noise" not in given:
        raise SQLDiffusionError(f"--from-png {path}: the picture was drawn from --init-noise (a file whose sha256 is "
                                f"{settings['init_noise_sha256'][:16]}...); give that file with --init-noise")
    options["from_png"] = None
    ctx.invoke(generate.callback, **options)


def _model_of_picture(path: Path, settings: dict):
    """The model a picture names, loaded, if it is here (never fetched from the Hub on a picture's
    word) and has the picture's digest; one line otherwise."""
    from . import provenance
    from .model import load_model

    name, digest = settings["model"], settings["model_digest"]
    if provenance.hub_id(name):
        raise SQLDiffusionError(f"--from-png {path}: the picture names the Hub model {name}, which a picture alone "
                                f"does not fetch; pass --model {name} to fetch and use it")
    try:
        loaded = load_model(name)
    except SQLDiffusionError as e:
        raise SQLDiffusionError(f"--from-png {path}: the picture's model {name} cannot be loaded here ({e}); pass "
                                f"--model with the model whose digest is {digest[:16]}...") from None
    if loaded.digest != digest:
        raise SQLDiffusionError(f"--from-png {path}: the picture was drawn by a model {name} of digest {digest[:16]}..., "
                                f"but {name} here has digest {loaded.digest[:16]}...; nothing drawn (pass --model to "
                                "draw with another model anyway)")
    return loaded


@cli.command()
@click.option("--image", "-i", "image", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The picture to redraw (resized to the model's size).")
@click.option("--strength", default=0.8, show_default=True, type=float,
              help="How much to redraw, in (0, 1]: of the N planned steps the last int(N * strength).")
@sampling_options
def edit(image, strength, **options) -> None:
    """Image-to-image: noise a picture part of the way (in SQL) and denoise it from there.

    --init-noise gives the noise that noises the picture; --batch N makes N versions of it.
    """
    _sample(**options, image=image, strength=strength)


def _sample(model, engine, database, steps, timestep_list, sampler, blog, eta, karras, no_noise, seed, class_label,
            batch, out, gif, show_ascii, colour, init_noise, save_npy, quiet, force, image=None, strength=None) -> None:
    from . import pictures, provenance
    from .editing import SQLImg2ImgPipeline
    from .model import Model, load_model
    from .pipeline import SQLDiffusionPipeline, image_size, replanned
    from .preflight import check_fits
    from .scheduler import NoiseSchedule, make_rule, parse_timesteps, strength_plan
    from .schedulers import plan, planned_scheduler, sampler_of_config
    from .sql_unet import SQLUNet

    loaded = model if isinstance(model, Model) else load_model(model)  # --from-png loads it to check its digest
    sampler, steps, timestep_list, karras = _choose_sampler(sampler, steps, timestep_list, karras, blog, eta,
                                                            no_noise, editing=image is not None,
                                                            configured=sampler_of_config(loaded.scheduler_config)[0])
    rule = make_rule(sampler, eta, not no_noise, karras)
    labels = _class_labels(class_label, loaded.config)
    if karras and image is not None:
        raise SQLDiffusionError("--karras applies to generate; edit runs the plain DPM-Solver++ plan")
    timesteps = parse_timesteps(timestep_list) if timestep_list is not None else None
    x_t = _init_noise(init_noise, loaded.config, editing=image is not None) if init_noise else None
    if x_t is not None:
        held = len(x_t)
        if batch is not None and batch != held:
            raise SQLDiffusionError(f"--batch {batch} but --init-noise {init_noise} holds {held} image(s); "
                                    "drop --batch (the batch is the file's) or give a file of that many")
        batch = held
    batch = 1 if batch is None else batch
    if batch < 1:
        raise SQLDiffusionError(f"--batch {batch}: make at least one image")
    out, gif, save_npy, settings_json = _check_outputs(out, gif, save_npy, force)
    say = (lambda line: None) if quiet else (lambda line: click.echo(line, err=True))  # noqa: E731
    size = image_size(loaded.config) if x_t is None else x_t.shape[-2:]
    check_fits(loaded.config, *size, batch)  # before the engine starts
    scheduler = NoiseSchedule.from_config(loaded.scheduler_config)
    visited = plan(scheduler, steps=steps, timesteps=timesteps, sampler=rule.sampler, karras=rule.karras)
    if image is not None:
        visited = strength_plan(visited, strength)
    if gif is not None:  # and with the GIF's frames, now that the plan says how many
        passes = len(planned_scheduler(scheduler, rule, visited).timesteps)
        check_fits(loaded.config, *size, batch, trajectory=_gif_bytes(
            passes + (x_t is not None or image is not None), batch, loaded.config.in_channels, *size, pairs=True))
    picture = None
    if image is not None:
        picture, notes = pictures.load_picture(image, loaded.config.in_channels, image_size(loaded.config), "--image")
        for note in notes:
            say(note)
    say(f"loading {loaded.name} into {_where(engine, database)}")
    net = SQLUNet(loaded, engine, database)
    made = provenance.record(
        "generate" if image is None else "edit", model=loaded.name, digest=loaded.digest, engine=engine, size=size,
        batch=batch, seed=seed, sampler=rule.sampler, karras=rule.karras, eta=rule.eta, noise=rule.add_noise,
        clip_sample=scheduler.clip_sample, steps=steps, timesteps=timesteps, class_labels=labels, strength=strength,
        init_noise_sha256=provenance.file_sha256(init_noise, NPY_LIMIT, "--init-noise") if x_t is not None else None,
        image_sha256=provenance.file_sha256(image, pictures.MAX_PICTURE_BYTES, "--image") if image is not None else None)
    frames: list[np.ndarray] = []
    began = time.perf_counter()
    common = dict(**replanned(visited, rule.karras), seed=seed, sampler=rule.sampler, eta=rule.eta, class_labels=labels,
                  add_noise=rule.add_noise, output_type="latent", on_event=_keeping_pairs(frames) if gif is not None else None)
    if picture is None:
        pipe = SQLDiffusionPipeline(net, scheduler)
        pipe.set_progress_bar_config(disable=True if quiet else None)
        samples = pipe(batch_size=batch, init_noise=x_t, **common).images
    else:
        pipe = SQLImg2ImgPipeline(net, scheduler)
        pipe.set_progress_bar_config(disable=True if quiet else None)
        samples = pipe(image=picture, strength=1.0, batch_size=batch, noise=x_t, **common).images
    elapsed = time.perf_counter() - began
    start = x_t if picture is None else np.repeat(picture, batch, axis=0)  # where the trajectory starts
    first = (start, None) if start is not None else None
    _show_and_write(samples, frames, first, out, gif, save_npy, show_ascii, colour, made, settings_json)
    written = ", ".join(str(p) for p in (out, gif, save_npy) if p is not None)
    say(f"{len(samples)} image(s), {len(visited)} steps, {elapsed:.1f} s in SQL; wrote {written}")


def _check_outputs(out, gif, save_npy, force: bool):
    """The picture, GIF and array outputs a sampling command may write, and the array's settings
    beside it (FILE.json), checked (see outputs.py)."""
    from .outputs import check_distinct, check_output
    from .provenance import npy_settings_path

    beside = npy_settings_path(save_npy) if save_npy is not None else None
    checked = (check_output(out, "picture", force, "--out"),
               check_output(gif, "gif", force, "--gif") if gif is not None else None,
               check_output(save_npy, "npy", force, "--save-npy") if save_npy is not None else None,
               check_output(beside, "text", force, "--save-npy's settings") if beside is not None else None)
    check_distinct(*zip(("--out", "--gif", "--save-npy", "--save-npy's settings"), checked))
    return checked


def _show_and_write(samples, frames, first, out, gif, save_npy, show_ascii, colour, made, settings_json) -> None:
    """The pictures as text on stdout, then every output file (see _write_all); the picture and the
    array's settings file carry `made` (provenance.record; None: no settings are written)."""
    from . import pictures, provenance

    pixels = pictures.to_pixels(samples)
    if show_ascii is None:  # by default colour where the terminal shows it, else the blog's ASCII
        colour = colour or pictures.truecolour_terminal()
    if show_ascii is not False or colour:
        art = pictures.colour_art if colour and not show_ascii else functools.partial(pictures.ascii_art, stretch=True)
        click.echo("\n\n".join(art(p) for p in pixels))
    scale = pictures.enlargement(pixels.shape[1])
    text = provenance.chunks(made) if made is not None else None
    writes = [lambda: pictures.save_png(out, pictures.grid(pixels, scale=scale), text)]
    if save_npy is not None:
        writes.append(lambda: pictures.save_npy(save_npy, samples))
        if made is not None:
            writes.append(lambda: _write_settings(settings_json, made))
    if gif is not None:  # last: the picture and the array are written whatever happens to its frames
        shown = ([first] if first is not None else []) + frames
        writes.append(lambda: _save_gif(gif, shown, lambda f: _gif_frame(f, scale)))
    _write_all(writes)


@cli.command()
@click.option("--image", "-i", "image", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The picture to fill in (resized to the model's size).")
@click.option("--mask", "mask", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="A picture of the same size: white where to fill in, black where to keep.")
@click.option("--steps", default=25, show_default=True, type=click.IntRange(min=1),
              help="RePaint's steps down (diffusers' RePaintPipeline: 250).")
@click.option("--jump-length", default=5, show_default=True, type=click.IntRange(min=1),
              help="Steps back up in each jump (RePaintPipeline: 10).")
@click.option("--jump-n-sample", default=5, show_default=True, type=click.IntRange(min=1),
              help="Times each stretch is resampled (RePaintPipeline: 10).")
@click.option("--eta", default=0.0, show_default=True, type=float, help="Noise of the fill-in steps, 0 to 1.")
@click.option("--model", "-m", default="demo", show_default=True, help="'demo', a model folder or a Hub id.")
@engine_options
@click.option("--seed", default=0, show_default=True, type=SEED, help="Seed of the SQL noise.")
@click.option("--batch", default=1, show_default=True, type=click.IntRange(min=1), help="Versions to make.")
@click.option("--out", "out", default="sqldiffusion.png", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="Picture to write (a grid when --batch > 1).")
@click.option("--gif", type=click.Path(dir_okay=False, path_type=Path), help="GIF of the whole RePaint trajectory.")
@click.option("--ascii/--no-ascii", "show_ascii", default=None,
              help="Print the picture as ASCII, or not at all [default: colour where the terminal shows it].")
@click.option("--color", "--colour", "colour", is_flag=True, help="Print true-colour half-block art.")
@click.option("--save-npy", type=click.Path(dir_okay=False, path_type=Path), help="Write the final sample (.npy).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or messages.")
@force_option
def inpaint(image, mask, steps, jump_length, jump_n_sample, eta, model, engine, database, seed, batch, out, gif,
            show_ascii, colour, save_npy, quiet, force) -> None:
    """Inpainting by RePaint: fill in the white part of the mask, keep the rest of the picture.

    Every UNet pass, step, re-noising jump and blend with the kept pixels runs in SQL.
    """
    from . import provenance
    from .editing import SQLInpaintPipeline
    from .model import load_model
    from .pictures import MAX_PICTURE_BYTES, load_mask, load_picture
    from .pipeline import image_size
    from .preflight import check_fits
    from .scheduler import NoiseSchedule, repaint_plan
    from .sql_unet import SQLUNet

    out, gif, save_npy, settings_json = _check_outputs(out, gif, save_npy, force)
    say = (lambda line: None) if quiet else (lambda line: click.echo(line, err=True))  # noqa: E731
    loaded = load_model(model)
    scheduler = NoiseSchedule.from_config(loaded.scheduler_config)
    visited = repaint_plan(scheduler, steps, jump_length, jump_n_sample)  # refused unbuilt if too long
    size, channels = image_size(loaded.config), loaded.config.in_channels
    # before the engine starts; with --gif, its frames too: the picture, then every step's sample
    trajectory = _gif_bytes(len(visited) + 1, batch, channels, *size, pairs=False) if gif is not None else 0
    check_fits(loaded.config, *size, batch, trajectory=trajectory)
    picture, notes, original = load_picture(image, channels, size, "--image", with_size=True)
    fill = load_mask(mask, channels, size, original, "--mask")
    for note in notes:
        say(note)
    say(f"loading {model} into {_where(engine, database)}; {len(visited)} steps")
    pipe = SQLInpaintPipeline(SQLUNet(loaded, engine, database), scheduler)
    made = provenance.record("inpaint", model=loaded.name, digest=loaded.digest, engine=engine, size=size, batch=batch,
                             seed=seed, sampler="repaint", eta=eta, steps=steps, jump_length=jump_length,
                             jump_n_sample=jump_n_sample,
                             image_sha256=provenance.file_sha256(image, MAX_PICTURE_BYTES, "--image"),
                             mask_sha256=provenance.file_sha256(mask, MAX_PICTURE_BYTES, "--mask"))
    pipe.set_progress_bar_config(disable=True if quiet else None)
    frames: list[np.ndarray] = []
    began = time.perf_counter()
    samples = pipe(image=picture, mask_image=fill, num_inference_steps=steps, jump_length=jump_length,
                   jump_n_sample=jump_n_sample, eta=eta, batch_size=batch, seed=seed, output_type="latent",
                   callback=_keeping(frames) if gif is not None else None).images
    elapsed = time.perf_counter() - began
    _show_and_write(samples, frames, np.repeat(picture, batch, axis=0), out, gif, save_npy, show_ascii, colour, made,
                    settings_json)
    written = ", ".join(str(p) for p in (out, gif, save_npy) if p is not None)
    say(f"{len(samples)} image(s), {len(visited)} steps, {elapsed:.1f} s in SQL; wrote {written}")


@cli.command()
@click.option("--image", "-i", "image", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The picture to invert (resized to the model's size).")
@click.option("--steps", default=50, show_default=True, type=click.IntRange(min=1), help="DDIM inversion steps.")
@click.option("--save-npy", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the starting noise x_T (.npy).")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path),
              help="Also redraw the picture from x_T (DDIM, eta 0) and write it here, with the error.")
@click.option("--model", "-m", default="demo", show_default=True, help="'demo', a model folder or a Hub id.")
@engine_options
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or messages.")
@force_option
def invert(image, steps, save_npy, out, model, engine, database, quiet, force) -> None:
    """DDIM inversion: the starting noise that DDIM turns back into a picture, all in SQL."""
    from . import editing, pictures, provenance
    from .outputs import check_distinct, check_output

    beside = provenance.npy_settings_path(save_npy)
    save_npy = check_output(save_npy, "npy", force, "--save-npy")
    settings_json = check_output(beside, "text", force, "--save-npy's settings")
    out = check_output(out, "picture", force, "--out") if out is not None else None
    check_distinct(("--save-npy", save_npy), ("--save-npy's settings", settings_json), ("--out", out))
    say = (lambda line: None) if quiet else (lambda line: click.echo(line, err=True))  # noqa: E731
    pipe, picture = _pipeline_with_picture(model, engine, database, image, say)
    pipe.set_progress_bar_config(disable=True if quiet else None)
    x_t = editing.invert(pipe, picture, steps)
    loaded = pipe.unet.model
    made = provenance.record("invert", model=loaded.name, digest=loaded.digest, engine=engine, size=x_t.shape[-2:],
                             batch=1, seed=None, sampler="ddim", eta=0.0, steps=steps,
                             image_sha256=provenance.file_sha256(image, pictures.MAX_PICTURE_BYTES, "--image"))
    pictures.save_npy(save_npy, x_t)
    _write_settings(settings_json, made)
    if out is not None:
        again = pipe(num_inference_steps=steps, sampler="ddim", init_noise=x_t, output_type="latent").images
        pictures.save_png(out, pictures.grid(pictures.to_pixels(again), scale=pictures.enlargement(again.shape[-1])),
                          provenance.chunks(made))
        error = np.abs(pictures.to_pixels(again).astype(int) - pictures.to_pixels(picture).astype(int)).mean()
        say(f"redrawn from x_T: mean absolute difference {error:.1f} of 255 per pixel and channel; wrote {out}")
    say(f"wrote {save_npy} {list(x_t.shape)}")


@cli.command()
@click.option("--seeds", default="0,1", show_default=True, help="The seeds of the two starting noises: A,B.")
@click.option("--images", help="Or two pictures, inverted by DDIM: A.png,B.png.")
@click.option("--frames", default=8, show_default=True, type=click.IntRange(min=1), help="Pictures from A to B.")
@click.option("--steps", default=25, show_default=True, type=click.IntRange(min=1), help="DDIM steps (eta 0).")
@click.option("--model", "-m", default="demo", show_default=True, help="'demo', a model folder or a Hub id.")
@engine_options
@click.option("--out", "out", default="sqldiffusion.png", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="The frames side by side (a picture).")
@click.option("--gif", type=click.Path(dir_okay=False, path_type=Path), help="The frames as an animation, there and back.")
@click.option("--save-npy", type=click.Path(dir_okay=False, path_type=Path), help="Write the frames (.npy).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or messages.")
@force_option
def interpolate(seeds, images, frames, steps, model, engine, database, out, gif, save_npy, quiet, force) -> None:
    """A morph: two starting noises interpolated on the sphere in SQL, each frame denoised by DDIM."""
    from . import editing, pictures, provenance

    try:
        pair = tuple(int(s) for s in seeds.split(","))
    except ValueError:
        raise SQLDiffusionError(f"--seeds {seeds!r}: expected two whole numbers, such as 3,8") from None
    names = tuple(Path(p) for p in images.split(",")) if images else None
    if len(pair) != 2 or (names is not None and len(names) != 2) or min(pair) < 0:
        raise SQLDiffusionError("interpolation runs between two seeds (--seeds A,B) or two pictures (--images A,B)")
    out, gif, save_npy, settings_json = _check_outputs(out, gif, save_npy, force)
    say = (lambda line: None) if quiet else (lambda line: click.echo(line, err=True))  # noqa: E731
    from .editing import prepare_pictures
    from .model import load_model
    from .pipeline import image_size
    from .preflight import check_fits, gif_bytes

    loaded = load_model(model)
    size = image_size(loaded.config)
    scale = pictures.enlargement(size[0], 128)
    # before the engine starts: the frames are one batch; --gif shows them there and back, enlarged
    trajectory = gif_bytes(frames + max(frames - 2, 0), size[0] * scale * size[1] * scale) if gif is not None else 0
    check_fits(loaded.config, *size, frames, trajectory=trajectory, batch_option="--frames")
    ends = None
    if names is not None:
        ends = []
        for name in names:
            array, notes, _ = prepare_pictures(loaded.config, pictures.open_picture(name, "--images"))
            ends.append(array)
            for note in notes:
                say(f"{name}: {note}")
    pipe, _ = _pipeline_with_picture(loaded, engine, database, None, say)
    pipe.set_progress_bar_config(disable=True if quiet else None)
    samples = editing.interpolate(pipe, frames, pair, ends, steps, "latent").images
    made = provenance.record(
        "interpolate", model=loaded.name, digest=loaded.digest, engine=engine, size=size, batch=frames, seed=None,
        sampler="ddim", eta=0.0, steps=steps, frames=frames, seeds=list(pair) if names is None else None,
        images_sha256=[provenance.file_sha256(n, pictures.MAX_PICTURE_BYTES, "--images") for n in names] if names else None)
    pixels = pictures.to_pixels(samples)
    writes = [lambda: pictures.save_png(out, pictures.grid(pixels, columns=frames, scale=scale), provenance.chunks(made))]
    if save_npy is not None:
        writes.append(lambda: pictures.save_npy(save_npy, samples))
        writes.append(lambda: _write_settings(settings_json, made))
    if gif is not None:  # last, as generate's
        there_and_back = list(pixels) + list(pixels[-2:0:-1])
        writes.append(lambda: _save_gif(gif, there_and_back, lambda p: np.repeat(np.repeat(p, scale, 0), scale, 1)))
    _write_all(writes)
    say(f"{frames} frames, {steps} DDIM steps each; wrote {', '.join(str(p) for p in (out, gif, save_npy) if p)}")


def _pipeline_with_picture(model, engine, database, image, say):
    """A pipeline of `model` in the engine, and `image` read for it (None: none)."""
    from .editing import prepare_pictures
    from .model import Model, load_model
    from .pictures import open_picture
    from .pipeline import SQLDiffusionPipeline
    from .sql_unet import SQLUNet

    loaded = model if isinstance(model, Model) else load_model(model)
    picture = None
    if image is not None:
        picture, notes, _ = prepare_pictures(loaded.config, open_picture(image, "--image"))
        for note in notes:
            say(note)
    say(f"loading {loaded.name} into {_where(engine, database)}")
    return SQLDiffusionPipeline(SQLUNet(loaded, engine, database)), picture


def _write_settings(path: Path, made: dict) -> None:
    """--save-npy's settings, FILE.json: the JSON the picture's text chunk holds."""
    from . import pictures, provenance

    pictures.write_text(path, lambda f: f.write(provenance.to_json(made) + "\n"))


def _write_all(writes) -> None:
    """Every output, even when one fails (each failure saves its result elsewhere and says where)."""
    failures = []
    for write in writes:
        try:
            write()
        except SQLDiffusionError as e:
            failures.append(str(e))
    if failures:
        raise RunFailed("; ".join(failures))


def _keeping(frames: list) -> callable:
    """A step callback that keeps every intermediate sample (for --gif)."""
    return lambda step, peek: frames.append(peek())


def _keeping_pairs(frames: list) -> callable:
    """An event handler that keeps every step's sample and predicted clean picture (for --gif)."""
    from .events import StepFinished

    return lambda event: frames.append((event.sample, event.prediction)) if isinstance(event, StepFinished) else None


def _save_gif(gif: Path, frames: list, draw) -> None:
    """--gif from `frames`, each drawn by `draw`; running out of memory on the way is one line (the
    preflight counted these frames, so only a machine whose memory went elsewhere meanwhile gets it)."""
    from . import pictures

    try:
        pictures.save_gif(gif, [draw(f) for f in frames])
    except MemoryError:
        raise RunFailed(f"--gif {gif}: not written, not enough memory to assemble its {len(frames)} frames; "
                        "take fewer steps or images for a GIF") from None


def _gif_bytes(frames: int, batch: int, channels: int, height: int, width: int, pairs: bool) -> int:
    """What --gif of a sampling command holds at its peak (preflight.gif_bytes): `frames` frames of
    the batch as _gif_frame draws them (with x0 beside each x_t where `pairs`), and their float32
    samples kept while the run goes."""
    from .pictures import enlargement
    from .preflight import gif_bytes

    count = batch * (2 if pairs else 1)
    pixels = _grid_pixels(count, height, width, columns=2 if pairs else None, scale=enlargement(height))
    return gif_bytes(frames, pixels, kept_values=frames * count * channels * height * width)


def _grid_pixels(count: int, height: int, width: int, columns: int | None = None, scale: int = 1,
                 gap: int = 2) -> int:
    """The pixels of pictures.grid's canvas for `count` pictures, computed rather than drawn."""
    import math

    columns = columns or math.isqrt(count - 1) + 1  # grid's ceil(sqrt(count)), exact for any count
    rows = -(-count // columns)
    return (rows * height * scale + (rows - 1) * gap) * (columns * width * scale + (columns - 1) * gap)


def _gif_frame(frame, scale: int) -> np.ndarray:
    """One frame of --gif: the samples (B, C, H, W), or (sample, prediction) pairs shown side by side,
    x_t on the left and the clean picture the step predicts on the right (blank before the first step)."""
    from . import pictures

    if not isinstance(frame, tuple):
        return pictures.grid(pictures.to_pixels(frame), scale=scale)
    sample, prediction = (pictures.to_pixels(f) if f is not None else None for f in frame)
    if prediction is None:
        prediction = np.full_like(sample, 255)
    pairs = np.stack([sample, prediction], axis=1).reshape(-1, *sample.shape[1:])  # x_t, x0, x_t, x0, ...
    return pictures.grid(pairs, columns=2, scale=scale)


@cli.command()
@click.option("--model", "-m", default="demo", show_default=True, help="'demo', a model folder or a Hub id.")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the figures into (created if missing).")
@engine_options
@click.option("--seed", default=0, show_default=True, type=SEED)
@click.option("--count", default=10, show_default=True, type=click.IntRange(min=1), help="Images per grid.")
@click.option("--all-steps", type=click.IntRange(min=1),
              help="Steps of the 'every step' grids [default: every training timestep].")
def figures(model, out, engine, database, seed, count, all_steps) -> None:
    """The blog's figures: timestep embedding, one-shot prediction, and grids of samples."""
    from .figures import make_figures
    from .model import load_model
    from .outputs import check_output
    from .pipeline import image_size
    from .preflight import check_fits
    from .scheduler import NoiseSchedule

    loaded = load_model(model)
    check_fits(loaded.config, *image_size(loaded.config), count, batch_option="--count")  # before the engine starts
    total = NoiseSchedule.from_config(loaded.scheduler_config).num_train_timesteps
    if all_steps is not None and all_steps > total:  # else found only after the first figures are made
        raise SQLDiffusionError(f"--all-steps {all_steps} is more than the {total} steps the model was trained with")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise SQLDiffusionError(f"--out {out}: cannot make the folder ({e.strerror})") from None
    check_output(out / "timestep_embedding.png", "picture", option="--out")  # the folder takes files
    for path in make_figures(loaded, out, engine, database, seed, count, all_steps,
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
def serve(models, engine, database, host, port, allow_hosts, open_page) -> None:
    """A local web page: watch the picture emerge and the network run as SQL."""
    from .serve.server import run

    click.echo(f"loading into {_where(engine, database)}", err=True)
    run(models, engine, database, host, port, open_page, say=lambda line: click.echo(line, err=True),
        allow_hosts=allow_hosts)


@cli.command("generate-many")
@click.option("--seeds", required=True, help="Seeds to make: 0-9999, 3,5,8 or 0-3,10.")
@click.option("--output", "-o", type=click.Path(file_okay=False, path_type=Path),
              help="Folder of the results: a Parquet dataset pictures.parquet (and png/ with --png).")
@click.option("--table", help="Or a table of the Spark session's catalog to append the results to.")
@click.option("--model", "-m", default="demo", show_default=True,
              help="'demo', a model folder every executor can read, or a Hub id.")
@click.option("--steps", type=int, help="Number of denoising steps, spaced as diffusers does.")
@click.option("--timesteps", "timestep_list", help="Descending timesteps to visit (DDPM unless --sampler says otherwise).")
@click.option("--sampler", help=f"{', '.join(SAMPLERS)} [default: as generate's].")
@click.option("--blog", is_flag=True, help=f"The blog's schedule: --sampler ddpm --timesteps {BLOG_TIMESTEPS}.")
@click.option("--eta", default=0.0, show_default=True, type=float, help="DDIM noise: 0 deterministic, 1 as DDPM.")
@click.option("--karras", is_flag=True, help=f"Karras sigmas: {', '.join(KARRAS_SAMPLERS)}.")
@click.option("--no-noise", is_flag=True, help="DDPM without the added noise.")
@click.option("--per-task", default=1, show_default=True, type=click.IntRange(min=1), help="Seeds per Spark task.")
@click.option("--png", is_flag=True, help="Also write one PNG per seed under OUTPUT/png (with --output).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or messages.")
@engine_options(engines=list(MANY_ENGINES), default=MANY_DEFAULT, session=MANY_SESSION, memory=False,
                options_of=[name for name, how in MANY_ENGINES.items() if how != "embedded"],
                engine_help=_many_engine_help())
def generate_many(seeds, output, table, model, engine, database, session, steps, timestep_list, sampler, blog,
                  eta, karras, no_noise, per_task, png, quiet) -> None:
    """Many pictures on Apache Spark; seed S is the picture `generate --seed S` makes."""
    from .many import Recipe, check_engine, generate_many as run, parse_seeds
    from .model import load_model
    from tqdm.auto import tqdm

    from .scheduler import make_rule

    chosen = parse_seeds(seeds)
    if (output is None) == (table is None):
        raise SQLDiffusionError("give --output DIR or --table NAME (one of them)")
    if png and output is None:
        raise SQLDiffusionError("--png writes under --output DIR; give one")
    check_engine(engine, database)  # before Spark starts
    sampler, steps, timestep_list, karras = _choose_sampler(sampler, steps, timestep_list, karras, blog, eta, no_noise)
    rule = make_rule(sampler, eta, not no_noise, karras)
    loaded = load_model(model)
    visited = _planned(loaded, steps, timestep_list, rule)
    source = model if model == "demo" or not Path(model).exists() else str(Path(model).resolve())
    recipe = Recipe(source, tuple(visited), rule.sampler, rule.eta, rule.add_noise, rule.karras)
    say = (lambda line: None) if quiet else (lambda line: click.echo(line, err=True))  # noqa: E731
    say(f"starting Spark ({session.master or 'local[*]'})")
    spark = backend_package(MANY_SESSION).open_session(session)
    try:
        with tqdm(total=len(chosen), unit="picture", disable=True if quiet else None) as bar:
            made, skipped = run(spark, recipe, chosen, output, engine, per_task, output / "png" if png else None,
                                progress=lambda done, total: bar.update(done - bar.n), table=table, database=database)
    finally:
        spark.stop()
    say(f"{made} picture(s) made, {skipped} already in {output or table}")


@cli.command("export-sql")
@click.option("--model", "-m", default="demo", show_default=True, help="'demo', a model folder or a Hub id.")
@click.option("--steps", type=int, help="Number of denoising steps, spaced as diffusers does.")
@click.option("--timesteps", "timestep_list", help="Descending timesteps to visit (DDPM unless --sampler says otherwise).")
@click.option("--sampler", help=f"{', '.join(SAMPLERS)} [default: as generate's].")
@click.option("--blog", is_flag=True, help=f"The blog's schedule: --sampler ddpm --timesteps {BLOG_TIMESTEPS}.")
@click.option("--eta", default=0.0, show_default=True, type=float, help="DDIM noise: 0 deterministic, 1 as DDPM.")
@click.option("--karras", is_flag=True, help=f"Karras sigmas: {', '.join(KARRAS_SAMPLERS)}.")
@click.option("--no-noise", is_flag=True, help="DDPM without the added noise.")
@click.option("--seed", default=0, show_default=True, type=SEED)
@click.option("--batch", default=1, show_default=True, type=int)
@click.option("--max-memory", metavar="SIZE", help="Memory the script's run may use on the server, e.g. 8G "
                                                   "[default: what this machine has available]; a batch that needs "
                                                   "more is refused.")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), help="File to write [default: stdout].")
@force_option
def export_sql(model, steps, timestep_list, sampler, blog, eta, karras, no_noise, seed, batch, max_memory, out,
               force) -> None:
    """Write one PostgreSQL script that loads the model, samples and prints the ASCII picture."""
    from . import pictures
    from .exporters.psql import write_script
    from .model import load_model
    from .outputs import check_output
    from .pipeline import image_size
    from .preflight import check_fits, parse_size
    from .scheduler import make_rule

    sampler, steps, timestep_list, karras = _choose_sampler(sampler, steps, timestep_list, karras, blog, eta, no_noise)
    rule = make_rule(sampler, eta, not no_noise, karras)
    loaded = load_model(model)
    # the batch as generate's preflight takes it (the server's memory cannot be seen from here, as
    # with --dsn): the script's every pass holds the whole batch, and so does its text here
    check_fits(loaded.config, *image_size(loaded.config), batch, parse_size(max_memory) if max_memory else None)
    visited = _planned(loaded, steps, timestep_list, rule)
    if out is None:
        try:
            write_script(sys.stdout, loaded, visited, rule, seed, batch)
        except BrokenPipeError:
            raise  # a reader that stopped early (| head) is not news
        except OSError as e:  # standard output sent to a full disk
            raise RunFailed(f"could not write the script to standard output ({e.strerror or first_line(e)})") from None
        return
    out = check_output(out, "text", force, "--out")
    pictures.write_text(out, lambda f: write_script(f, loaded, visited, rule, seed, batch))


@cli.command("export-web")
@click.argument("out_dir", type=click.Path(path_type=Path))
@click.option("--model", "-m", default="demo", show_default=True, help="'demo', a model folder or a Hub id.")
@click.option("--duckdb-wasm", "duckdb_wasm", metavar="DIR|URL",
              help="Where the page loads DuckDB-WASM from: a folder npm installed @duckdb/duckdb-wasm into (copied "
                   "into OUT_DIR), or an npm CDN's URL [default: jsDelivr, the pinned version].")
@click.option("--sampler", "samplers", multiple=True, help=f"A sampler to offer (repeatable): {', '.join(SAMPLERS)} "
                                                           "[default: as generate's].")
@click.option("--steps", "step_counts", multiple=True, type=int, help="A number of steps to offer (repeatable).")
@click.option("--karras", is_flag=True, help=f"Karras sigmas for the samplers that take them: {', '.join(KARRAS_SAMPLERS)}.")
@click.option("--blog", is_flag=True, help=f"Also offer the blog's schedule (DDPM, {BLOG_TIMESTEPS}).")
@click.option("--max-batch", type=int, help="The most images the page makes at once, 1-4 [default: as many as fit].")
@click.option("--quiet", "-q", is_flag=True, help="No messages.")
def export_web(out_dir, model, duckdb_wasm, samplers, step_counts, karras, blog, max_batch, quiet) -> None:
    """Write a static folder where a browser runs the network as SQL in DuckDB-WASM (no server code)."""
    from .model import load_model
    from .scheduler import NoiseSchedule, parse_timesteps
    from .schedulers import sampler_of_config
    from .exporters.web.export import export_web as write_folder, recipes

    loaded = load_model(model)
    configured = sampler_of_config(loaded.scheduler_config)[0]
    if karras and samplers and not set(samplers) & set(KARRAS_SAMPLERS):
        raise SQLDiffusionError(f"--karras applies to {', '.join(KARRAS_SAMPLERS)}; none of the samplers given takes it")
    chosen = []
    if samplers or step_counts or karras or not blog:
        for sampler in samplers or [None]:
            for steps in step_counts or [None]:
                takes = karras and (sampler is None or sampler in KARRAS_SAMPLERS)
                name, count, listed, with_karras = _choose_sampler(sampler, steps, None, takes, False, 0.0, False,
                                                                   configured=configured)
                chosen.append((name, count, None if listed is None else tuple(parse_timesteps(listed)), with_karras))
    if blog:
        chosen.append(("ddpm", None, BLOG, False))
    say = (lambda line: None) if quiet else (lambda line: click.echo(line, err=True))  # noqa: E731
    write_folder(out_dir, loaded, recipes(NoiseSchedule.from_config(loaded.scheduler_config), chosen), duckdb_wasm,
                 max_batch, say)
    say(f"serve it with: python -m http.server --bind 127.0.0.1 --directory {out_dir} 8000, "
        "then open http://127.0.0.1:8000/")


@cli.command("import")
@click.option("--model", "-m", default="demo", show_default=True, help="'demo', a model folder or a Hub id.")
@engine_options
def import_model(model, engine, database) -> None:
    """Import a model's weights into a database (once; later runs reuse them)."""
    from .sql_unet import SQLUNet

    backend = engine_class(engine)
    if not backend.durable:
        keeping = [f"--engine {b} {option.flag} {option.metavar or 'VALUE'}" for b in BACKENDS if b != engine and engine_class(b).durable
                   for option in backend_package(b).OPTIONS]
        raise SQLDiffusionError(f"the {engine} engine keeps weights only for the run that imports them "
                                f"({backend.why_not_durable}): there is nothing to import ahead; use "
                                f"{' or '.join(keeping) or 'an engine that keeps them'}")
    if database is None:
        flags = " or ".join(f"{option.flag} {option.metavar or 'VALUE'}" for option in backend_package(engine).OPTIONS)
        raise SQLDiffusionError(f"import into {backend.describe(None)} would be discarded at once: give {flags or 'a database to keep them in'}")
    net = SQLUNet(model, engine, database)
    click.echo(f"{model} is in {_where(engine, database)}, schema {net.namespace}")
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
    from .train import TrainSettings, read_unet_config, train as run_training

    settings = TrainSettings(steps=steps, minutes=minutes, batch_size=batch_size, learning_rate=lr, warmup=warmup,
                             ema_decay=ema_decay, seed=seed, offset_noise=offset_noise)
    if unet_config is not None:
        settings.unet = read_unet_config(unet_config)
    run_training(data, out, settings, resume=resume, log=lambda line: click.echo(line, err=True))


NPY_LIMIT = 2 << 30  # an array given on the command line: noise or a sample, far below this


def _load_npy(path: Path, option: str) -> np.ndarray:
    """A .npy array given as `option`: a regular file of bounded size (a FIFO never blocks), read
    without pickles; one line if it is anything else."""
    from .model.files import open_bounded

    try:
        with open_bounded(path, NPY_LIMIT, f"{option}'s array") as f:
            head = f.read(8)
            if not head.startswith(b"\x93NUMPY"):
                looks = next((what for magic, what in ((b"\x89PNG", "a PNG picture"), (b"\xff\xd8", "a JPEG picture"),
                                                        (b"PK", "a zip archive (.npz)")) if head.startswith(magic)), None)
                raise SQLDiffusionError(f"{option} {path}: not a .npy array{f' (it is {looks})' if looks else ''}; "
                                        "give a float32 array saved with numpy.save")
            f.seek(0)
            return np.load(f, allow_pickle=False)
    except FileNotFoundError:
        raise SQLDiffusionError(f"{option} {path}: no such file") from None
    except (ValueError, OSError, EOFError) as e:
        raise SQLDiffusionError(f"{option} {path}: not a readable .npy array ({first_line(e)}); "
                                "save one with numpy.save") from None


def _init_noise(path: Path, config, editing: bool) -> np.ndarray:
    """--init-noise as float32 (B, C, H, W), checked before anything runs: the model's channels, at
    least one image, a size the model takes (edit: its own, the picture's), finite values. A (C, H,
    W) array is one image."""
    from .graph.unet import check_image_size
    from .pipeline import image_size

    given = _load_npy(path, "--init-noise")
    noise = given[None] if given.ndim == 3 else given
    channels, (height, width) = config.in_channels, image_size(config)
    if noise.ndim != 4 or noise.shape[0] < 1 or noise.shape[1] != channels or \
            (editing and noise.shape[2:] != (height, width)):
        raise SQLDiffusionError(f"--init-noise {path} has shape {tuple(given.shape)}; it must be (B, C, H, W) for "
                                f"this model: ({'B' if noise.ndim != 4 or noise.shape[0] < 1 else noise.shape[0]}, "
                                f"{channels}, {height}, {width}), with at least one image")
    try:
        check_image_size(config, *noise.shape[2:])
    except SQLDiffusionError as e:
        raise SQLDiffusionError(f"--init-noise {path}: {e}") from None
    if not np.issubdtype(noise.dtype, np.floating):
        raise SQLDiffusionError(f"--init-noise {path} holds {noise.dtype} values; save the noise as float32")
    with np.errstate(over="ignore"):  # a float64 beyond float32's range: infinite, refused just below
        noise = noise.astype(np.float32)
    if not np.isfinite(noise).all():
        raise SQLDiffusionError(f"--init-noise {path} holds NaN or infinite values (as float32); give finite noise")
    return noise


def _parse_timesteps(text: str) -> list[float]:
    try:
        return [float(part) for part in text.split(",")]
    except ValueError:
        raise SQLDiffusionError(f"--timestep {text!r}: expected a number or comma-separated numbers") from None


def _print_profile(timings: list[tuple[str, str, float, float]]) -> None:
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


_interrupted = False


def _interrupt(signum, frame) -> None:
    """SIGINT and SIGTERM: unwind as Ctrl-C does, once, so that every transaction rolls back, every
    temporary relation is dropped and a throwaway server stops; a second signal while that runs
    is ignored rather than cutting the cleanup short."""
    global _interrupted
    if _interrupted:
        return
    _interrupted = True
    raise KeyboardInterrupt


def _given_dsn(argv: list[str]) -> str | None:
    """The --dsn of a command line, whose password no message may show."""
    for i, arg in enumerate(argv):
        if arg == "--dsn" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--dsn="):
            return arg.removeprefix("--dsn=")
    return None


def main() -> None:
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        cli.main(standalone_mode=False)
    except BaseException as e:
        # an interrupt can surface as the engine's own error (a query interrupted, a transaction
        # aborted by it): whatever ends the run after a signal, the signal is the news
        if _interrupted or isinstance(e, (KeyboardInterrupt, click.exceptions.Abort)):
            click.echo("interrupted", err=True)
            sys.exit(130)
        if isinstance(e, SQLDiffusionError):
            click.echo(redact(f"error: {e}", _given_dsn(sys.argv)), err=True)
            sys.exit(e.exit_code)
        if isinstance(e, click.ClickException):
            e.show()
            sys.exit(e.exit_code)
        raise


if __name__ == "__main__":
    main()
