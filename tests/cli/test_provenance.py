"""Settings inside every picture: the PNG text chunks of generate, edit, inpaint, interpolate, the
page's gallery and export-web's page; `generate --from-png` drawing the same pictures again; and
hostile PNGs, each refused in one line before anything runs."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from test_web import browser, demo, local_export  # noqa: F401 - the exported page's fixtures

from sqldiffusion import SQLDiffusionError, provenance
from sqldiffusion.cli import cli
from sqldiffusion.model import load_model

FAST = ["--timesteps", "500,0", "--no-ascii", "--quiet"]
STATIC = Path(__file__).resolve().parents[2] / "src" / "sqldiffusion" / "exporters" / "web" / "static"


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=True)


def ok(*args):
    result = run(*args)
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def one_line(result) -> str:
    assert isinstance(result.exception, SQLDiffusionError), (result.output, result.exception)
    assert result.exception.exit_code == 2
    message = str(result.exception)
    assert "\n" not in message
    return message


def chunks(path: Path) -> tuple[str, dict]:
    with Image.open(path) as image:
        image.load()
        return image.text["parameters"], json.loads(image.text["sqldiffusion"])


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    """generate --seed 5, two DDPM steps, with its array."""
    folder = tmp_path_factory.mktemp("drawn")
    ok("generate", *FAST, "--seed", 5, "--out", folder / "a.png", "--save-npy", folder / "a.npy")
    return folder


@pytest.fixture(scope="module")
def demo_digest():
    return load_model("demo").digest


# ---- what each command's PNG carries --------------------------------------------------------------
@pytest.mark.slow  # a sampling run
def test_generate_writes_both_chunks_and_the_json_beside_the_array(drawn, demo_digest):
    line, settings = chunks(drawn / "a.png")
    assert line == (f"Steps: 2, Sampler: DDPM, Seed: 5, Size: 32x32, Model: demo, Model hash: {demo_digest[:12]}, "
                    f"Schedule: 500,0, Engine: duckdb, Version: {provenance.version()}")
    assert settings == {"format": "sqldiffusion/1", "command": "generate", "version": provenance.version(),
                        "model": "demo", "model_digest": demo_digest, "engine": "duckdb", "size": [32, 32],
                        "batch": 1, "seed": 5, "sampler": "ddpm", "karras": False, "eta": 0.0, "noise": True,
                        "clip_sample": True, "timesteps": [500, 0]}
    assert json.loads((drawn / "a.npy.json").read_text()) == settings


@pytest.mark.slow  # a sampling run
def test_the_default_sampler_is_written_out_whole(tmp_path):
    """No sampler option: the record names what the default was (a later default draws otherwise)."""
    from sqldiffusion.provenance import A1111_NAMES
    from sqldiffusion.recipe import DEFAULT_KARRAS, DEFAULT_SAMPLER, DEFAULT_STEPS

    ok("generate", "--no-ascii", "--quiet", "--out", tmp_path / "d.png", "--model", "demo")
    line, settings = chunks(tmp_path / "d.png")
    assert (settings["sampler"], settings["karras"], settings["steps"]) == (DEFAULT_SAMPLER, DEFAULT_KARRAS,
                                                                           DEFAULT_STEPS)
    name = A1111_NAMES[DEFAULT_SAMPLER] + (" Karras" if DEFAULT_KARRAS else "")
    assert "timesteps" not in settings and line.startswith(f"Steps: {DEFAULT_STEPS}, Sampler: {name}, Seed: 0")


@pytest.mark.slow  # a sampling run
def test_edit_records_its_picture_and_generate_refuses_to_redraw_it(drawn, tmp_path):
    out = tmp_path / "e.png"
    ok("edit", "--image", drawn / "a.png", "--strength", "0.5", *FAST, "--seed", 2, "--out", out)
    line, settings = chunks(out)
    assert settings["command"] == "edit" and settings["strength"] == 0.5 and settings["seed"] == 2
    assert settings["image_sha256"] == sha256(drawn / "a.png")
    assert f"Denoising strength: 0.5, Init image hash: {sha256(drawn / 'a.png')[:12]}" in line
    message = one_line(run("generate", "--from-png", out, "--out", tmp_path / "again.png", *FAST))
    assert "made by sqldiffusion edit, not generate" in message
    assert not (tmp_path / "again.png").exists()


@pytest.mark.slow  # a sampling run
def test_inpaint_records_picture_mask_and_plan(drawn, tmp_path):
    mask = np.zeros((256, 256), np.uint8)  # over the picture generate wrote, 256x256
    mask[64:192, 64:192] = 255
    source = tmp_path / "source.png"
    Image.open(drawn / "a.png").convert("RGB").save(source)
    Image.fromarray(mask).save(tmp_path / "mask.png")
    out = tmp_path / "i.png"
    ok("inpaint", "--image", source, "--mask", tmp_path / "mask.png", "--steps", 2, "--jump-length", 1,
       "--jump-n-sample", 1, "--seed", 4, "--out", out, "--save-npy", tmp_path / "i.npy", "--no-ascii", "--quiet")
    line, settings = chunks(out)
    assert settings["command"] == "inpaint" and settings["sampler"] == "repaint"
    assert (settings["steps"], settings["jump_length"], settings["jump_n_sample"], settings["seed"]) == (2, 1, 1, 4)
    assert settings["image_sha256"] == sha256(source) and settings["mask_sha256"] == sha256(tmp_path / "mask.png")
    assert line.startswith("Steps: 2, Sampler: RePaint, Seed: 4") and "Mask hash: " in line
    assert json.loads((tmp_path / "i.npy.json").read_text()) == settings


@pytest.mark.slow  # a sampling run
def test_interpolate_records_its_seeds_and_frames(tmp_path):
    out = tmp_path / "m.png"
    ok("interpolate", "--seeds", "3,8", "--frames", 2, "--steps", 2, "--out", out, "--quiet")
    line, settings = chunks(out)
    assert settings["command"] == "interpolate" and settings["seeds"] == [3, 8] and settings["frames"] == 2
    assert line.startswith("Steps: 2, Sampler: DDIM, Seeds: 3,8, Size: 32x32") and "Frames: 2" in line


@pytest.mark.slow  # a sampling run
def test_invert_writes_its_settings_beside_the_noise(drawn, tmp_path):
    ok("invert", "--image", drawn / "a.png", "--steps", 2, "--save-npy", tmp_path / "xT.npy",
       "--out", tmp_path / "r.png", "--quiet")
    settings = json.loads((tmp_path / "xT.npy.json").read_text())
    assert settings["command"] == "invert" and settings["steps"] == 2
    assert settings["image_sha256"] == sha256(drawn / "a.png") and chunks(tmp_path / "r.png")[1] == settings


@pytest.mark.slow  # a sampling run
def test_a_picture_in_another_format_carries_nothing_and_fails_nothing(tmp_path):
    ok("generate", *FAST, "--out", tmp_path / "a.jpg")
    with Image.open(tmp_path / "a.jpg") as image:
        assert image.format == "JPEG"


# ---- --from-png ---------------------------------------------------------------------------------
@pytest.mark.slow  # a sampling run
def test_from_png_draws_the_same_pictures_bit_for_bit(drawn, tmp_path):
    ok("generate", "--from-png", drawn / "a.png", "--out", tmp_path / "b.png", "--save-npy", tmp_path / "b.npy",
       "--no-ascii", "--quiet")
    assert np.array_equal(np.load(tmp_path / "b.npy"), np.load(drawn / "a.npy"))
    assert np.array_equal(np.asarray(Image.open(tmp_path / "b.png")), np.asarray(Image.open(drawn / "a.png")))
    assert chunks(tmp_path / "b.png") == chunks(drawn / "a.png")


@pytest.mark.slow  # a sampling run
def test_an_option_given_wins_over_the_picture(drawn, tmp_path):
    ok("generate", "--from-png", drawn / "a.png", "--seed", 6, "--out", tmp_path / "c.png",
       "--save-npy", tmp_path / "c.npy", "--no-ascii", "--quiet")
    ok("generate", *FAST, "--seed", 6, "--out", tmp_path / "d.png", "--save-npy", tmp_path / "d.npy")
    assert np.array_equal(np.load(tmp_path / "c.npy"), np.load(tmp_path / "d.npy"))
    assert not np.array_equal(np.load(tmp_path / "c.npy"), np.load(drawn / "a.npy"))
    assert chunks(tmp_path / "c.png")[1]["seed"] == 6
    # --sampler drops the picture's sampler options and keeps its plan
    ok("generate", "--from-png", drawn / "a.png", "--sampler", "ddim", "--out", tmp_path / "e.png", "--no-ascii",
       "--quiet")
    assert {k: chunks(tmp_path / "e.png")[1][k] for k in ("sampler", "timesteps", "seed")} == \
        {"sampler": "ddim", "timesteps": [500, 0], "seed": 5}


def test_the_array_settings_are_checked_before_the_run(tmp_path):
    """FILE.json is an output as FILE is: a FIFO there is refused before anything runs."""
    os.mkfifo(tmp_path / "x.npy.json")
    message = one_line(run("generate", *FAST, "--save-npy", tmp_path / "x.npy", "--out", tmp_path / "x.png"))
    assert "--save-npy's settings" in message and "FIFO" in message
    assert not (tmp_path / "x.npy").exists() and not (tmp_path / "x.png").exists()


# ---- hostile pictures ---------------------------------------------------------------------------
def planted(path: Path, text: str | None, zip_text: bool = False) -> Path:
    """A real PNG whose 'sqldiffusion' chunk holds `text`."""
    info = PngInfo()
    if text is not None:
        info.add_text("sqldiffusion", text, zip=zip_text)
    Image.new("RGB", (32, 32), "white").save(path, format="PNG", pnginfo=info)
    return path


def settings_of(digest: str, **changes) -> str:
    """The settings generate records for `drawn`'s picture, with `changes`."""
    settings = provenance.record("generate", model="demo", digest=digest, engine="duckdb", size=(32, 32), batch=1,
                                 seed=5, sampler="ddpm", karras=False, eta=0.0, noise=True, timesteps=[500, 0])
    settings.update(changes)
    return json.dumps(settings)


def refused(tmp_path, picture: Path, db: bool = True) -> str:
    """generate --from-png `picture`, refused in one line with nothing run: the database it was
    given is never made, nor the picture written (without `db`, the picture's engine is taken)."""
    began = time.monotonic()
    database = ["--db", tmp_path / "never.duckdb"] if db else []
    result = run("generate", "--from-png", picture, *database, "--out", tmp_path / "never.png", "--no-ascii", "--quiet")
    message = one_line(result)
    assert time.monotonic() - began < 20
    assert not (tmp_path / "never.duckdb").exists() and not (tmp_path / "never.png").exists()
    return message


@pytest.mark.parametrize("text, words", [
    (" " * (provenance.MAX_JSON + 1), "more than settings take"),
    ("{not json", "is not JSON"),
    ('{"seed": NaN}', "is not JSON"),
    ("[1, 2]", "not a JSON object"),
    ("[" * 30_000 + "]" * 30_000, "nested too deeply"),
])
def test_a_chunk_that_is_not_settings(tmp_path, text, words):
    assert words in refused(tmp_path, planted(tmp_path / "bad.png", text))


def test_a_compressed_chunk_that_unpacks_to_megabytes(tmp_path):
    """Pillow's own limit on a text chunk (MAX_TEXT_CHUNK), as one line."""
    message = refused(tmp_path, planted(tmp_path / "bomb.png", " " * (2 << 20), zip_text=True))
    assert "not a PNG Pillow can read" in message


@pytest.mark.parametrize("changes, words", [
    ({"seed": "1; DROP TABLE sqld_schedule"}, "seed is '1; DROP TABLE"),
    ({"seed": True}, "seed is True; it must be a whole number"),
    ({"timesteps": ["500) UNION SELECT 1 --"]}, "timesteps is"),
    ({"model": "demo\n\\! touch /tmp/x"}, "model is"),
    ({"model_digest": "00"}, "model_digest is '00'"),
    ({"format": "other/9"}, "format is 'other/9'"),
    ({"command": "rm"}, "command is 'rm'"),
    ({"sampler": "ddpm'); DROP TABLE x; --"}, "unknown sampler"),
    ({"sampler": "nope"}, "unknown sampler 'nope'"),
    ({"seed": 2 ** 64}, "--seed"),
    ({"eta": 5.0, "sampler": "ddim"}, "eta 5.0 is outside [0, 1]"),
    ({"engine": "oracle"}, "--engine"),
    ({"batch": 10 ** 9}, "--batch"),
    ({"timesteps": [500, 600]}, "descending"),
    ({"model_digest": "0" * 64}, "nothing drawn"),
    ({"model": "someone/weights-of-their-choosing"}, "Hub model someone/weights-of-their-choosing"),
    ({"model": "/nonexistent/model"}, "cannot be loaded here"),
    ({"init_noise_sha256": "a" * 64}, "give that file with --init-noise"),
])
def test_hostile_settings_go_through_the_options_checks(demo_digest, tmp_path, changes, words):
    picture = planted(tmp_path / "bad.png", settings_of(demo_digest, **changes))
    assert words in refused(tmp_path, picture, db="engine" not in changes)


@pytest.mark.slow  # a sampling run
def test_a_model_given_explicitly_wins_over_a_hub_id(drawn, demo_digest, tmp_path):
    picture = planted(tmp_path / "hub.png", settings_of(demo_digest, model="someone/elsewhere"))
    ok("generate", "--from-png", picture, "--model", "demo", "--save-npy", tmp_path / "h.npy",
       "--out", tmp_path / "h.png", "--no-ascii", "--quiet")
    assert np.array_equal(np.load(tmp_path / "h.npy"), np.load(drawn / "a.npy"))


@pytest.mark.parametrize("kind", ["fifo", "zero", "folder", "text", "missing", "plain png"])
def test_a_file_that_is_not_a_png_with_settings(tmp_path, kind):
    path = tmp_path / "p.png"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "zero":
        path.symlink_to("/dev/zero")
    elif kind == "folder":
        path.mkdir()
    elif kind == "text":
        path.write_text("settings: none")
    elif kind == "plain png":
        planted(path, None)
    message = refused(tmp_path, path)
    assert str(path) in message
    if kind == "plain png":
        assert "carries no settings" in message


# ---- the page's gallery ---------------------------------------------------------------------------
@pytest.mark.slow  # a sampling run
def test_the_gallery_pictures_carry_settings_generate_redraws(tmp_path, demo_digest):
    starlette_testclient = pytest.importorskip("starlette.testclient")
    from sqldiffusion.backends import get_engine
    from sqldiffusion.serve.app import create_app
    from sqldiffusion.serve.guard import allowed_names
    from sqldiffusion.serve.server import serve_models

    engine = get_engine("duckdb")
    app = create_app(engine, serve_models(engine, []), allowed_names("127.0.0.1", ()))
    try:
        with starlette_testclient.TestClient(app, base_url="http://127.0.0.1:8000") as client:
            response = client.post("/api/jobs", json={"seed": 7, "schedule": "list", "timesteps": "500,0"})
            job = app.state.runner.jobs[response.json()["id"]]
            deadline = time.time() + 60
            while not job.finished and time.time() < deadline:
                time.sleep(0.05)
            assert job.state == "done", job.events[-1]
            png = client.get(f"/api/gallery/{job.events[-1]['entry']['id']}.png").content
    finally:
        engine.close()
    (tmp_path / "g.png").write_bytes(png)
    line, settings = chunks(tmp_path / "g.png")
    assert settings["model_digest"] == demo_digest and settings["seed"] == 7 and settings["timesteps"] == [500, 0]
    assert line.startswith("Steps: 2, Sampler: DDPM, Seed: 7, Size: 32x32, Model: demo")
    ok("generate", "--from-png", tmp_path / "g.png", "--save-npy", tmp_path / "g.npy", "--out", tmp_path / "again.png",
       "--no-ascii", "--quiet")
    from sqldiffusion.pictures import to_pixels

    assert np.array_equal(to_pixels(np.load(tmp_path / "g.npy"))[0], np.asarray(Image.open(tmp_path / "g.png")))


# ---- export-web's page ----------------------------------------------------------------------------
def test_the_page_png_carries_the_settings_of_its_run(tmp_path, demo_digest):
    """png.js, as the page runs it, on a PNG Pillow wrote: Pillow reads the chunks it adds (the
    seed beyond what a JavaScript number holds kept to the digit) and the same pixels."""
    if shutil.which("node") is None:
        pytest.skip("Node is not installed; the page's PNG code needs it")
    from sqldiffusion.exporters.web.export import offers, settings_template
    from sqldiffusion.model import load_model
    from sqldiffusion.recipe import DEFAULT, DEFAULT_KARRAS, DEFAULT_SAMPLER, DEFAULT_STEPS

    demo = load_model("demo")
    (offer,) = offers(demo, [DEFAULT])
    template = settings_template(demo, offer)
    plain = tmp_path / "plain.png"
    Image.fromarray(np.arange(32 * 32 * 3, dtype=np.uint8).reshape(32, 32, 3)).save(plain)
    shutil.copyfile(STATIC / "png.js", tmp_path / "png.mjs")
    seed = 2 ** 63 - 1
    script = (f"import {{dataURLWithText, settingsOf}} from './png.mjs'; import {{readFileSync, writeFileSync}} "
              f"from 'node:fs'; const url = 'data:image/png;base64,' + readFileSync('plain.png').toString('base64');"
              f"const out = dataURLWithText(url, settingsOf({json.dumps(template)}, '{seed}', 2));"
              "writeFileSync('page.png', Buffer.from(out.split(',')[1], 'base64'));")
    subprocess.run(["node", "--input-type=module", "-e", script], cwd=tmp_path, check=True, timeout=60)
    line, settings = chunks(tmp_path / "page.png")
    assert settings["seed"] == seed and settings["batch"] == 2 and settings["engine"] == "duckdb-wasm"
    assert (settings["sampler"], settings["karras"], settings["steps"]) == (DEFAULT_SAMPLER, DEFAULT_KARRAS,
                                                                           DEFAULT_STEPS)
    assert settings["model_digest"] == demo_digest
    assert f"Seed: {seed}" in line and "Batch size: 2" in line and "Engine: duckdb-wasm" in line
    assert np.array_equal(np.asarray(Image.open(tmp_path / "page.png")), np.asarray(Image.open(plain)))



@pytest.mark.slow  # the page in Chromium
def test_the_picture_the_page_lets_you_save_is_drawn_again_by_generate(browser, local_export, tmp_path):
    """The exported page's final picture, as a browser saves it, carries its run's settings, and
    generate --from-png draws that run natively (on DuckDB, whose statements the page runs)."""
    import base64

    from test_web import assert_close, finished, open_page, result_of, serve

    server, url = serve(local_export)
    try:
        page = open_page(browser, url + "index.html?seed=3&autorun=1")
        assert finished(page) == "done", page.inner_text("#error")
        src, drawn_there = page.get_attribute("#sample", "src"), result_of(page)
    finally:
        server.shutdown()
    saved = tmp_path / "page.png"
    saved.write_bytes(base64.b64decode(src.split(",", 1)[1]))
    line, settings = chunks(saved)
    assert settings["seed"] == 3 and settings["batch"] == 1 and settings["engine"] == "duckdb-wasm"
    assert "Seed: 3" in line and "Engine: duckdb-wasm" in line
    ok("generate", "--from-png", saved, "--save-npy", tmp_path / "n.npy", "--out", tmp_path / "n.png", "--no-ascii",
       "--quiet")
    assert_close(drawn_there, np.load(tmp_path / "n.npy"))
