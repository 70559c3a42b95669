"""The option groups of the commands, each declared once: the engine and its options (declared by
the backends), the plan and sampler, the run (seed, class labels, batch) and the outputs; and the
checked reading of what they name (arrays, timesteps, class labels)."""

from __future__ import annotations

import functools
from pathlib import Path

import click
import numpy as np

from ..backends import BACKENDS, backend_package, engine_class
from ..backends import DEFAULT as DEFAULT_ENGINE
from ..errors import SQLDiffusionError, first_line
from ..pipeline import MAX_SEED
from ..preflight import parse_size
from ..recipe import BLOG, DEFAULT_KARRAS, DEFAULT_SAMPLER, DEFAULT_STEPS, choose
from ..schedulers import SAMPLERS
from ..schedulers.base import karras_samplers

SEED = click.IntRange(0, MAX_SEED)  # every command's --seed


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
    declared = declared_options(dict.fromkeys(sources))
    for_session = set(backend_package(session).SESSION_OPTIONS) if session else set()

    @functools.wraps(command)
    def resolved(*args, engine, max_memory=None, **kwargs):
        if memory:  # the limit of every check of the run, in bytes (None: what the machine has available)
            kwargs["max_memory"] = parse_size(max_memory) if max_memory is not None else None
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


def declared_options(backends=BACKENDS) -> dict:
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


def plan_options(command):
    """The options that choose a sampler and its plan, for every command that samples."""
    options = [
        click.option("--steps", type=int, help="Number of denoising steps, spaced as diffusers does."),
        click.option("--timesteps", "timestep_list",
                     help="Descending timesteps to visit (DDPM unless --sampler says otherwise)."),
        click.option("--sampler", help=f"{', '.join(SAMPLERS)} (the fast solvers take {DEFAULT_STEPS} steps unless "
                                       f"told) [default: {DEFAULT_SAMPLER}{' --karras' if DEFAULT_KARRAS else ''}, "
                                       f"{DEFAULT_STEPS} steps; ddpm with --steps or --timesteps]."),
        click.option("--blog", is_flag=True, help=f"The blog's schedule: --sampler ddpm --timesteps {BLOG}."),
        click.option("--eta", default=0.0, show_default=True, type=float,
                     help="DDIM noise: 0 deterministic, 1 as DDPM."),
        click.option("--karras", is_flag=True, help=f"Karras sigmas (diffusers' use_karras_sigmas): "
                                                    f"{', '.join(karras_samplers())}."),
        click.option("--no-noise", is_flag=True, help="DDPM without the added noise (the blog's 'average butterfly')."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def recipe_of(sampler, steps, timestep_list, karras, blog, eta, no_noise, editing=False, configured="ddpm"):
    """The recipe (sampler and plan) of a sampling command's options (recipe.choose)."""
    return choose(sampler, steps, timestep_list, karras, blog, eta, no_noise, editing, configured)


def saying(quiet: bool):
    """What prints a command's messages on stderr, or nothing with --quiet."""
    return (lambda line: None) if quiet else (lambda line: click.echo(line, err=True))


def class_labels_of(text: str | None, config) -> list[int] | None:
    """--class-label: one class, or one per image, comma-separated; each a number or, for a model
    of ImageNet's classes, a name (king_penguin)."""
    from ..classes import class_number

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


def where(engine: str, database) -> str:
    return engine_class(engine).describe(database)


def grouped(*options):
    """A decorator applying `options` (click options or other groups) in the order listed."""
    def apply(command):
        for option in reversed(options):
            command = option(command)
        return command
    return apply


def model_option(text: str = "'demo', a model folder or a Hub id."):
    """--model, with the help `text` of the command."""
    return click.option("--model", "-m", default="demo", show_default=True, help=text)


# The run: its noise's seed, class labels, how many images, and where x_T comes from.
run_options = grouped(
    click.option("--seed", default=0, show_default=True, type=SEED, help="Seed of the SQL noise."),
    click.option("--class-label", "class_label",
                 help="Class-conditional models: the class of every image, or one per image (3,7); "
                      "ImageNet models take names too (king_penguin) [default: drawn with the seed]."),
    click.option("--batch", type=int, help="Images in one run [default: 1, or as many as --init-noise holds]."),
)

# The outputs of a sampling command: the picture (shown and written), its trajectory, the array.
output_options = grouped(
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
    click.option("--save-npy", type=click.Path(dir_okay=False, path_type=Path),
                 help="Write the pictures as the network gives them, (B, C, H, W) floats (.npy)."),
    click.option("--save-latents", type=click.Path(dir_okay=False, path_type=Path),
                 help="Latent models: write the final latents, before they are decoded (.npy)."),
    click.option("--quiet", "-q", is_flag=True, help="No progress bar or messages."),
    force_option,
)

# Text-to-image models: the prompt and its guidance.
text_options = grouped(
    click.option("--prompt", "-p", help="Text-to-image models: what to draw."),
    click.option("--negative-prompt", "negative_prompt",
                 help="Text-to-image models: what to steer away from [default: the empty prompt]."),
    click.option("--guidance-scale", "guidance_scale", type=float,
                 help="Text-to-image models: classifier-free guidance; at 1 or below, no unconditional pass "
                      "[default: 7.5, as diffusers]."),
    click.option("--guidance-rescale", "guidance_rescale", type=float,
                 help="Text-to-image models: diffusers' guidance_rescale, 0 to 1 [default: 0]."),
    click.option("--clip-skip", "clip_skip", type=click.IntRange(min=0),
                 help="Text-to-image models: take the text encoder's output this many layers before its last."),
)

# Every command that samples: the model, the engine, the plan and sampler, the run, the outputs.
sampling_options = grouped(
    model_option("'demo' (shipped), a diffusers model folder (UNet or pipeline) or a Hub id."),
    click.option("--vae", help="Latent models: decode with this autoencoder instead of the pipeline's (a folder, a "
                               "pipeline folder holding vae/, or a Hub id), as diffusers' pipe.vae = ..."),
    click.option("--height", type=int, help="The pictures' height [default: the UNet's sample_size, times the "
                                            "autoencoder's factor for a latent model]."),
    click.option("--width", type=int, help="The pictures' width [default: as --height]."),
    click.option("--preview-vae", "preview_vae",
                 help="Latent models: show each step (--gif) through this tiny autoencoder's decode (TAESD: a "
                      "folder or a Hub id) [default: the model's own if it is tiny, else a fixed latent-to-RGB map]."),
    text_options,
    engine_options,
    plan_options,
    run_options,
    output_options,
)


NPY_LIMIT = 2 << 30  # an array given on the command line: noise or a sample, far below this


def load_npy(path: Path, option: str) -> np.ndarray:
    """A .npy array given as `option`: a regular file of bounded size (a FIFO never blocks), read
    without pickles; one line if it is anything else."""
    from ..model.files import open_bounded

    try:
        with open_bounded(path, NPY_LIMIT, f"{option}'s array") as f:
            head = f.read(8)
            if not head.startswith(b"\x93NUMPY"):
                looks = next((what for magic, what in ((b"\x89PNG", "a PNG picture"), (b"\xff\xd8", "a JPEG picture"),
                                                        (b"PK", "a zip archive (.npz)"))
                              if head.startswith(magic)), None)
                raise SQLDiffusionError(f"{option} {path}: not a .npy array{f' (it is {looks})' if looks else ''}; "
                                        "give a float32 array saved with numpy.save")
            f.seek(0)
            return np.load(f, allow_pickle=False)
    except FileNotFoundError:
        raise SQLDiffusionError(f"{option} {path}: no such file") from None
    except (ValueError, OSError, EOFError) as e:
        raise SQLDiffusionError(f"{option} {path}: not a readable .npy array ({first_line(e)}); "
                                "save one with numpy.save") from None


def read_init_noise(path: Path, config, editing: bool) -> np.ndarray:
    """--init-noise as float32 (B, C, H, W), checked before anything runs: the model's channels, at
    least one image, a size the model takes (edit: its own, the picture's), finite values. A (C, H,
    W) array is one image."""
    from ..graph.unet import check_image_size
    from ..pipeline import image_size

    given = load_npy(path, "--init-noise")
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


def parse_timestep_values(text: str) -> list[float]:
    try:
        return [float(part) for part in text.split(",")]
    except ValueError:
        raise SQLDiffusionError(f"--timestep {text!r}: expected a number or comma-separated numbers") from None
