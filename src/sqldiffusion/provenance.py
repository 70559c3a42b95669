"""The settings that made a picture, carried inside it: PNG text chunks, and JSON beside an array.

Every PNG that generate, edit, inpaint, interpolate, serve's gallery and export-web's page write
holds two text chunks:

    parameters    one line people read, in AUTOMATIC1111's style:
                  "Steps: 6, Sampler: DPM++ 2M Karras, Seed: 3, Size: 32x32, Model: demo, Model hash: ..."
    sqldiffusion  the exact settings as JSON (`record`): the command, the model's name and digest,
                  the sampler and its options, steps or timesteps, seed, batch, engine, size, the
                  digests of the pictures or noise it started from, and the version

`--save-npy FILE` writes the same JSON to FILE.json. `generate --from-png` reads the JSON back
(`read_png`): the file bounded as every picture is, the chunk bounded, every field checked for its
kind here and then, as command-line text (`arguments`), by the very option checks a typed command
line meets, so nothing from a picture reaches SQL that an option could not.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from pathlib import Path

from .errors import SQLDiffusionError, first_line
from .fields import shown

FORMAT = "sqldiffusion/1"
LINE_KEY, JSON_KEY = "parameters", "sqldiffusion"
MAX_JSON = 64 << 10  # the settings of any run are a few hundred bytes; a long timestep list a few KiB
MAX_TEXT = 4096  # one string field (a model's folder)
COMMANDS = ("generate", "edit", "inpaint", "interpolate", "invert")
DIGEST = re.compile(r"[0-9a-f]{64}")

# diffusers' samplers as AUTOMATIC1111 names them (its "Karras" suffix added where taken)
A1111_NAMES = {"ddpm": "DDPM", "ddim": "DDIM", "pndm": "PLMS", "dpmpp-2m": "DPM++ 2M", "dpmpp-3m": "DPM++ 3M",
               "dpmpp-2m-sde": "DPM++ 2M SDE", "unipc": "UniPC", "euler": "Euler", "euler-a": "Euler a",
               "heun": "Heun", "consistency": "Consistency", "repaint": "RePaint"}


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("sqldiffusion")
    except PackageNotFoundError:  # run from a source tree
        from . import __version__

        return __version__


def record(command: str, *, model: str, digest: str, engine: str, size, batch, seed, sampler: str,
           **settings) -> dict:
    """The settings of one run as the JSON chunk holds them; `settings`: the command's own
    (karras, eta, noise, steps, timesteps, class_labels, strength, init_noise_sha256, ...)."""
    height, width = size
    return {"format": FORMAT, "command": command, "version": version(), "model": model, "model_digest": digest,
            "engine": engine, "size": [int(height), int(width)], "batch": batch, "seed": seed, "sampler": sampler,
            **{name: value for name, value in settings.items() if value is not None}}


def to_json(settings: dict) -> str:
    return json.dumps(settings, sort_keys=True, separators=(",", ":"))


def parameters_line(settings: dict) -> str:
    """AUTOMATIC1111's settings line: "Steps: 6, Sampler: DPM++ 2M Karras, Seed: 3, Size: 32x32, ...";
    one line whatever a model's name holds."""
    s = settings
    name = A1111_NAMES.get(s["sampler"], str(s["sampler"])) + (" Karras" if s.get("karras") else "")
    steps = s.get("steps") if s.get("steps") is not None else len(s.get("timesteps") or ())
    parts = [("Steps", steps), ("Sampler", name)]
    if s.get("seeds") is not None:  # interpolate: between two seeds' noises
        parts.append(("Seeds", ",".join(map(str, s["seeds"]))))
    elif s.get("seed") is not None:
        parts.append(("Seed", s["seed"]))
    height, width = s["size"]
    parts += [("Size", f"{width}x{height}"), ("Model", s["model"]), ("Model hash", str(s["model_digest"])[:12])]
    optional = [("Batch size", s.get("batch") if s.get("batch") != 1 and not s.get("frames") else None),
                ("Eta", s.get("eta") or None), ("CFG scale", s.get("guidance_scale")),
                ("Schedule", ",".join(map(str, s["timesteps"])) if s.get("timesteps") else None),
                ("Noise", "off" if s.get("noise") is False else None), ("Denoising strength", s.get("strength")),
                ("Class labels", ",".join(map(str, s["class_labels"])) if s.get("class_labels") else None),
                ("Frames", s.get("frames")), ("Jump length", s.get("jump_length")),
                ("Jump n sample", s.get("jump_n_sample")),
                ("Init image hash", (s.get("image_sha256") or "")[:12] or None),
                ("Mask hash", (s.get("mask_sha256") or "")[:12] or None),
                ("Images hash", ",".join(d[:12] for d in s["images_sha256"]) if s.get("images_sha256") else None),
                ("Init noise hash", (s.get("init_noise_sha256") or "")[:12] or None)]
    parts += [(key, value) for key, value in optional if value is not None]
    parts += [("Engine", s["engine"]), ("Version", s["version"])]
    line = ", ".join(f"{key}: {value}" for key, value in parts)
    return re.sub(r"[\x00-\x1f\x7f]", "?", line)


def chunks(settings: dict) -> dict[str, str]:
    """The PNG text chunks that carry `settings`: keyword -> text."""
    return {LINE_KEY: parameters_line(settings), JSON_KEY: to_json(settings)}


def file_sha256(path, limit: int, what: str) -> str:
    """The SHA-256 of a file given as input (a picture, a noise array), read as inputs are."""
    from .model.files import open_bounded

    digest = hashlib.sha256()
    with open_bounded(path, limit, what) as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def npy_settings_path(save_npy: Path) -> Path:
    """Where --save-npy FILE's settings go: FILE.json beside it."""
    return Path(f"{save_npy}.json")


# ---- reading a picture's settings back ---------------------------------------------------------
MAX_PNG_BYTES = 64 << 20


def read_png(path) -> dict:
    """The settings a PNG carries (its `sqldiffusion` chunk), each field checked for its kind; one
    line for a file that is not such a PNG or a chunk that is not such settings."""
    text = _chunk_text(path)
    try:
        settings = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise SQLDiffusionError(f"--from-png {path}: its settings are nested too deeply to be settings") from None
    except ValueError as e:  # not JSON, NaN, a number of more digits than Python reads
        raise SQLDiffusionError(f"--from-png {path}: its '{JSON_KEY}' "
                                f"text chunk is not JSON ({first_line(e)})") from None
    return checked(settings, f"--from-png {path}")


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def _chunk_text(path) -> str:
    """The `sqldiffusion` text chunk of the PNG at `path`: the file a regular one of bounded size,
    its pixels within the picture limit (Pillow's bomb check an error), the chunk within MAX_JSON."""
    import warnings

    from PIL import Image

    from .model.files import open_bounded
    from .pictures import _bounded

    label = f"--from-png {path}"
    try:
        with open_bounded(path, MAX_PNG_BYTES, "a picture") as f, warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(f, formats=["PNG"]) as image:
                _bounded(image, label)
                image.load()  # text chunks after the pixels are read only with them
                text = image.text.get(JSON_KEY)
    except FileNotFoundError:
        raise SQLDiffusionError(f"{label}: no such file") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise SQLDiffusionError(f"{label}: too many pixels to decode ({first_line(e)})") from None
    except (OSError, ValueError, SyntaxError, EOFError) as e:  # what Pillow raises, its text limits included
        raise SQLDiffusionError(f"{label}: not a PNG Pillow can read ({first_line(e)})") from None
    if text is None:
        raise SQLDiffusionError(f"{label}: the picture carries no settings (no '{JSON_KEY}' text chunk); give a PNG "
                                "that sqldiffusion wrote")
    if len(text) > MAX_JSON:
        raise SQLDiffusionError(f"{label}: its '{JSON_KEY}' text chunk holds {len(text):,} characters, more than "
                                f"settings take ({MAX_JSON:,}); it was not written by sqldiffusion")
    return text


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value) -> bool:
    return (_whole(value) or isinstance(value, float)) and math.isfinite(value)


def _text(value) -> bool:
    return isinstance(value, str) and len(value) <= MAX_TEXT and not re.search(r"[\x00-\x1f\x7f]", value)


def _prompt(value) -> bool:
    """A prompt as the tokenizer takes it (newlines and tabs allowed)."""
    from .tokenizer import checked_prompt

    try:
        checked_prompt(value)
    except SQLDiffusionError:
        return False
    return True


def _list_of(test, low: int = 1, high: int = 100_000):
    return lambda value: isinstance(value, list) and low <= len(value) <= high and all(map(test, value))


def _digest(value) -> bool:
    return isinstance(value, str) and DIGEST.fullmatch(value) is not None


# each field a picture's settings may hold: (its test, what it must be); the ranges are checked
# afterwards by the options the settings become (see arguments)
FIELDS = {
    "format": (lambda v: v == FORMAT, f"the text {FORMAT!r}"),
    "command": (lambda v: v in COMMANDS, f"one of {', '.join(COMMANDS)}"),
    "version": (_text, "a version"),
    "model": (_text, f"a model's name, at most {MAX_TEXT} printable characters"),
    "model_digest": (_digest, "64 hexadecimal digits"),
    "engine": (_text, "an engine's name"),
    "size": (_list_of(_whole, 2, 2), "two whole numbers"),
    "batch": (_whole, "a whole number"),
    "seed": (_whole, "a whole number"),
    "sampler": (_text, "a sampler's name"),
    "karras": (lambda v: isinstance(v, bool), "true or false"),
    "eta": (_number, "a finite number"),
    "noise": (lambda v: isinstance(v, bool), "true or false"),
    "steps": (_whole, "a whole number"),
    "timesteps": (_list_of(_number), "a list of numbers"),
    "class_labels": (_list_of(_whole), "a list of whole numbers"),
    "init_noise_sha256": (_digest, "64 hexadecimal digits"),
    "image_sha256": (_digest, "64 hexadecimal digits"),
    "prompt": (lambda v: _prompt(v), "a prompt: text of at most 4096 bytes without control characters"),
    "negative_prompt": (lambda v: _prompt(v), "a prompt: text of at most 4096 bytes without control characters"),
    "guidance_scale": (_number, "a finite number"),
    "guidance_rescale": (_number, "a finite number"),
    "clip_skip": (_whole, "a whole number"),
    "text_encoder_digest": (_digest, "64 hexadecimal digits"),
}
REQUIRED = ("format", "command", "model", "model_digest", "engine", "batch", "seed", "sampler")
OPTIONAL_NULL = ("steps", "timesteps", "class_labels", "init_noise_sha256", "image_sha256", "negative_prompt",
                 "clip_skip")


def checked(settings, label: str) -> dict:
    """`settings` if it is an object whose known fields hold what they must (unknown ones, from a
    later version, are left out); one line naming the first that does not."""
    if not isinstance(settings, dict):
        raise SQLDiffusionError(f"{label}: its settings are {type(settings).__name__}, not a JSON object")
    for name in ("format", "command"):  # first: what the rest must hold depends on them
        test, what = FIELDS[name]
        if not test(settings.get(name)):
            raise SQLDiffusionError(f"{label}: its settings' {name} is {shown(settings.get(name))}; it must be {what}")
    # a picture another command made is refused by its command alone (cli._from_png)
    required = REQUIRED if settings["command"] == "generate" else ("format", "command")
    missing = [name for name in required if name not in settings]
    if missing:
        raise SQLDiffusionError(f"{label}: its settings lack {', '.join(missing)}; they were not written by "
                                "sqldiffusion")
    kept = {}
    for name, (test, what) in FIELDS.items():
        if name not in settings or (settings[name] is None and name in OPTIONAL_NULL):
            continue
        if not test(settings[name]):
            raise SQLDiffusionError(f"{label}: its settings' {name} is {shown(settings[name])}; it must be {what}")
        kept[name] = settings[name]
    return kept


def hub_id(name: str) -> bool:
    """Whether `name` would be fetched from the Hugging Face Hub (not 'demo', no folder here)."""
    from .model.source import _HUB_ID, DEMO

    return name != DEMO and not Path(name).expanduser().exists() and _HUB_ID.match(name) is not None


def arguments(settings: dict, given: set[str], engine_params: set[str], engines) -> list[str]:
    """The command-line options of generate that draw `settings` again, for the parameters not
    `given` on the command line (an option given wins). Options that travel together give way
    together: --blog drops the picture's sampler and plan; --sampler its sampler options; --steps
    or --timesteps its plan (and Karras sigmas, which take no list); --init-noise its batch; any
    engine option its engine. The model is not among them: see cli._from_png."""
    s = dict(settings)
    drop = set()
    if "blog" in given:
        drop |= {"sampler", "karras", "eta", "noise", "steps", "timesteps"}
    if "sampler" in given:
        drop |= {"karras", "eta", "noise"}
    if given & {"steps", "timestep_list"}:
        drop |= {"steps", "timesteps", "karras"}
    if "init_noise" in given:
        drop.add("batch")
    if given & engine_params:
        drop.add("engine")
    for name in drop:
        s.pop(name, None)
    args = []
    option = {"sampler": "--sampler", "steps": "--steps", "seed": "--seed", "batch": "--batch", "eta": "--eta",
              "engine": "--engine"}
    for name, flag in option.items():
        if name in s and name not in given:
            value = s[name]
            if name == "engine" and value not in engines:  # export-web's page runs DuckDB's own statements
                value = "duckdb" if value == "duckdb-wasm" else value
            args.append(f"{flag}={value}")
    if s.get("timesteps") is not None and "timestep_list" not in given:
        args.append("--timesteps=" + ",".join(_plain(t) for t in s["timesteps"]))
    if s.get("karras") and "karras" not in given:
        args.append("--karras")
    if s.get("noise") is False and "no_noise" not in given:
        args.append("--no-noise")
    for name, flag in (("prompt", "--prompt"), ("negative_prompt", "--negative-prompt"),
                       ("guidance_scale", "--guidance-scale"), ("guidance_rescale", "--guidance-rescale"),
                       ("clip_skip", "--clip-skip")):
        if s.get(name) is not None and name not in given:
            args.append(f"{flag}={s[name]}")
    if s.get("class_labels") and "class_label" not in given:
        args.append("--class-label=" + ",".join(map(str, s["class_labels"])))
    return args


def _plain(number) -> str:
    """A timestep as --timesteps takes it: 500, not 500.0."""
    return str(int(number)) if float(number).is_integer() else repr(float(number))
