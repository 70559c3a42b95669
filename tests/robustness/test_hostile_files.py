"""Model files and pictures that are not what they claim: a config that is /dev/zero or a FIFO, a
weight file padded to gigabytes, a header whose shapes overflow, a schedule of NaN, a 48 KB PNG of
20000x20000 pixels. Each is refused through the command line with one line and exit status 2,
quickly and within a bounded address space (a child whose memory is capped by RLIMIT_AS), and the
file it was given is left as it was.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import stat
import struct
import subprocess
import sys
import time
import zlib

import numpy as np
import pytest
from test_hostile import demo_copy, edit  # noqa: F401 (demo_copy is a fixture)

from sqldiffusion.model.files import JSON_LIMIT
from sqldiffusion.model.source import DEMO_FOLDER
from sqldiffusion.pictures import MAX_PICTURE_BYTES

ADDRESS_SPACE = 1 << 30  # far below what reading /dev/zero, 6 GiB or 400 Mpx would take
SECONDS = 10  # each refusal takes about half a second; a hang or a read of gigabytes takes far longer
WEIGHTS = "unet/diffusion_pytorch_model.safetensors"


def _capped() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def refusal(*args, cwd, env=None) -> str:
    """Run the command line with its memory capped and a time limit; assert a one-line refusal
    (exit 2, no traceback) within SECONDS, and return that line."""
    began = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "sqldiffusion.cli", *map(str, args)], capture_output=True,
                            text=True, cwd=cwd, preexec_fn=_capped, timeout=4 * SECONDS,
                            env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})})
    took = time.monotonic() - began
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1 and lines[0].startswith("error:"), result.stderr[-2000:]
    assert took < SECONDS, f"{took:.1f} s: {lines[0]}"
    return lines[0]


def generate(model, tmp_path, env=None) -> str:
    out = tmp_path / "picture.png"
    line = refusal("generate", "--model", model, "--out", out, "--no-ascii", "-q", cwd=tmp_path, env=env)
    assert not out.exists()
    return line


# ---- files that are not regular files, or too large ---------------------------------------------

@pytest.mark.parametrize("where", ["unet/config.json", "scheduler/scheduler_config.json", WEIGHTS])
def test_a_model_file_linked_to_dev_zero(demo_copy, tmp_path, where):
    (demo_copy / where).unlink()
    (demo_copy / where).symlink_to("/dev/zero")
    assert "is a character device" in generate(demo_copy, tmp_path)
    assert os.readlink(demo_copy / where) == "/dev/zero"


@pytest.mark.parametrize("where", ["unet/config.json", "scheduler/scheduler_config.json", WEIGHTS])
def test_a_model_file_that_is_a_fifo_does_not_hang(demo_copy, tmp_path, where):
    (demo_copy / where).unlink()
    os.mkfifo(demo_copy / where)  # no writer: a plain open() would wait for one for ever
    assert "is a FIFO" in generate(demo_copy, tmp_path)
    assert stat.S_ISFIFO(os.lstat(demo_copy / where).st_mode)


def test_a_weight_file_that_is_a_folder(demo_copy, tmp_path):
    (demo_copy / WEIGHTS).unlink()
    (demo_copy / WEIGHTS).mkdir()
    assert "is a folder" in generate(demo_copy, tmp_path)


@pytest.mark.parametrize("where", ["unet/config.json", "scheduler/scheduler_config.json"])
def test_a_config_of_more_than_a_few_mebibytes(demo_copy, tmp_path, where):
    path = demo_copy / where
    text = path.read_text()
    padded = text.replace("{", "{" + " " * JSON_LIMIT, 1)  # still valid JSON, just too large to be a config
    path.write_text(padded)
    assert "is more than a model's" in generate(demo_copy, tmp_path)
    assert path.read_text() == padded


def test_a_weight_file_padded_to_6_gib_is_refused_before_it_is_hashed(demo_copy, tmp_path):
    path = demo_copy / WEIGHTS
    real = path.stat().st_size
    with open(path, "r+b") as f:
        f.truncate(6 << 30)  # sparse: no disk used
    line = generate(demo_copy, tmp_path)
    assert f"{(6 << 30) - real} bytes after the data its header declares" in line
    assert path.stat().st_size == 6 << 30


def test_a_hub_model_goes_through_the_same_checks(tmp_path):
    """A model from the Hub cache (as snapshot_download leaves it, offline) is read as a folder is."""
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hf" / "hub" / "models--someone--hostile"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    snapshot = shutil.copytree(DEMO_FOLDER, repo / "snapshots" / commit)
    (snapshot / "scheduler" / "scheduler_config.json").unlink()
    (snapshot / "scheduler" / "scheduler_config.json").symlink_to("/dev/zero")
    line = generate("someone/hostile", tmp_path, env={"HF_HOME": str(tmp_path / "hf")})
    assert "scheduler_config.json: is a character device" in line


# ---- headers and configs whose values cannot be used --------------------------------------------

def safetensors(path, entries: dict, data: bytes = b"") -> None:
    header = json.dumps(entries).encode()
    path.write_bytes(struct.pack("<Q", len(header)) + header + data)


@pytest.mark.parametrize("shape", [[4294967296, 4294967296], [10 ** 30]])
def test_shapes_whose_size_overflows_64_bits(demo_copy, tmp_path, shape):
    safetensors(demo_copy / WEIGHTS, {"conv_in.weight": {"dtype": "F32", "shape": shape, "data_offsets": [0, 0]}})
    assert "does not match its shape" in generate(demo_copy, tmp_path)


def test_a_header_of_the_right_shapes_with_data_past_them(demo_copy, tmp_path):
    safetensors(demo_copy / WEIGHTS, {"conv_in.bias": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}},
                b"\0" * 8 + b"trailing")
    assert "8 bytes after the data its header declares" in generate(demo_copy, tmp_path)


@pytest.mark.parametrize("changes, key", [
    ({"_class_name": ["DDPMScheduler"]}, "_class_name"),
    ({"_class_name": "DPMSolverMultistepScheduler", "algorithm_type": ["dpmsolver++"]}, "algorithm_type"),
    ({"_class_name": "DPMSolverMultistepScheduler", "solver_order": [2]}, "solver_order"),
])
def test_scheduler_choices_of_the_wrong_kind(demo_copy, tmp_path, changes, key):
    edit(demo_copy / "scheduler" / "scheduler_config.json", **changes)
    line = generate(demo_copy, tmp_path)
    assert "scheduler_config.json" in line and key in line


@pytest.mark.parametrize("changes", [
    {"beta_start": 1, "beta_end": 1},  # every alpha 0: the picture was all NaN, with exit status 0
    {"beta_start": 0.9, "beta_end": 0.9, "num_train_timesteps": 100_000},  # a product below float32's range
])
def test_a_schedule_that_is_no_schedule(demo_copy, tmp_path, changes):
    edit(demo_copy / "scheduler" / "scheduler_config.json", **changes)
    line = generate(demo_copy, tmp_path)
    assert "scheduler_config.json" in line and "cumulative alphas" in line


@pytest.mark.parametrize("name", ["a/..", "-a/b", "a/b.", "a--b/c"])
def test_a_name_that_is_no_hub_id(tmp_path, name):
    """No Hub ids by huggingface_hub's rules: all but -a/b passed our pattern once, and its refusal
    was a traceback."""
    assert f"model {name!r} not found" in generate(name, tmp_path)


# ---- pictures ------------------------------------------------------------------------------------

def png(path, width: int, height: int) -> None:
    """A black 1-bit PNG of any size, written without decoding a pixel: 20000x20000 is about 48 KB."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\0" * (1 + (width + 7) // 8)
    packer = zlib.compressobj(9)
    pixels = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
                     + chunk(b"IDAT", pixels) + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def pictures(tmp_path_factory):
    from PIL import Image

    tmp_path = tmp_path_factory.mktemp("pictures")

    Image.fromarray(np.full((32, 32, 3), 200, np.uint8)).save(tmp_path / "fine.png")
    png(tmp_path / "bomb.png", 20000, 20000)  # above twice Pillow's limit: DecompressionBombError
    assert (tmp_path / "bomb.png").stat().st_size < 64 << 10
    png(tmp_path / "warned.png", 10000, 10000)  # between Pillow's limit and twice it: a warning
    png(tmp_path / "large.png", 5000, 5000)  # within Pillow's limit, above ours
    os.mkfifo(tmp_path / "fifo.png")
    (tmp_path / "zero.png").symlink_to("/dev/zero")
    with open(tmp_path / "padded.png", "wb") as f:
        f.write((tmp_path / "fine.png").read_bytes())
        f.truncate(MAX_PICTURE_BYTES + 1)
    return tmp_path


def files(folder) -> dict:
    return {p.name: (s.st_mode, s.st_size, s.st_mtime_ns) for p in folder.iterdir() for s in [os.lstat(p)]}


PICTURE_WORDS = {"bomb.png": "too many pixels", "warned.png": "too many pixels",
                 "large.png": "5000x5000 is more pixels",
                 "fifo.png": "is a FIFO", "zero.png": "is a character device", "padded.png": "is more than --"}
COMMANDS = {"edit": ("edit", "--image", "{}"), "inpaint-mask": ("inpaint", "--image", "fine.png", "--mask", "{}"),
            "inpaint-image": ("inpaint", "--mask", "fine.png", "--image", "{}"),
            "interpolate": ("interpolate", "--images", "fine.png,{}")}
# every kind of picture through edit; through the others, the bomb and the FIFO (the same reader)
CASES = [("edit", name) for name in PICTURE_WORDS] + \
    [(command, name) for command in list(COMMANDS)[1:] for name in ("bomb.png", "fifo.png")]


@pytest.mark.parametrize("command, name", CASES, ids=[f"{c}-{n}" for c, n in CASES])
def test_a_picture_that_is_too_large_or_no_file(pictures, command, name):
    before = files(pictures)
    args = [arg.format(name) for arg in COMMANDS[command]]
    line = refusal(*args, "--out", pictures / "out.png", cwd=pictures)
    assert PICTURE_WORDS[name] in line and name in line, line
    assert not (pictures / "out.png").exists()
    assert files(pictures) == before  # nothing written, nothing changed
