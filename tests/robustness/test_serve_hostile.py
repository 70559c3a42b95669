"""`sqldiffusion serve` at the edges of what clients send and what the gallery holds: a client that
hangs up before its body, seeds beyond what a float holds exactly (up to 2^63 - 1), and gallery
rows with NULL fields, the last two in a real browser too."""

from __future__ import annotations

import base64
import json
import re
import signal
import socket
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from click.testing import CliRunner
from test_serve import chromium
from test_serve_security import QUICK, finish, page  # noqa: F401 - page is the fixture used below

from sqldiffusion.backends import get_engine
from sqldiffusion.cli import cli
from sqldiffusion.pictures import png_bytes
from sqldiffusion.serve.gallery import TABLE, Gallery
from sqldiffusion.serve.jobs import MAX_SEED
from sqldiffusion.serve.server import serve_models

pytest.importorskip("starlette.testclient")
BEYOND_FLOAT = 2 ** 53 + 1  # the first whole number a float cannot hold


# ---- a client gone before its body -------------------------------------------------------------
def post_and_hang_up(port: int, head: str, sent: bytes) -> None:
    """A POST that announces more body than it sends, then closes the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        raw.sendall((f"POST /api/jobs HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                     f"Content-Type: application/json\r\n{head}\r\n\r\n").encode() + sent)


@pytest.mark.slow
def test_a_client_gone_before_its_body_leaves_the_server_quiet_and_serving(tmp_path):
    import httpx

    process = subprocess.Popen([sys.executable, "-m", "sqldiffusion.cli", "serve", "--port", "0"],
                               stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        said = []
        for line in process.stderr:
            said.append(line)
            if "Ctrl-C" in line:
                break
        port = int(re.search(r"at http://127\.0\.0\.1:(\d+)/", "".join(said)).group(1))
        post_and_hang_up(port, "Content-Length: 1000", b'{"seed": 1')
        post_and_hang_up(port, "Content-Length: 1000", b"")
        post_and_hang_up(port, "Transfer-Encoding: chunked", b'a\r\n{"seed": 1')
        time.sleep(0.5)  # the server has seen each connection close
        state = httpx.get(f"http://127.0.0.1:{port}/api/state").json()
        assert state["running"] is None and state["queued"] == []  # no half body became a job
        started = httpx.post(f"http://127.0.0.1:{port}/api/jobs", json=QUICK)
        assert started.status_code == 200 and started.json()["id"]
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 130
        rest = process.stderr.read()
    finally:
        process.kill()
    assert "Traceback" not in rest and "ClientDisconnect" not in rest and "Exception" not in rest, rest
    assert rest.strip() == "interrupted", rest


# ---- seeds beyond 2^53 -------------------------------------------------------------------------
@pytest.mark.parametrize("sent, seed", [
    (str(BEYOND_FLOAT), BEYOND_FLOAT),        # a JSON number, as a script sends it
    (f'"{BEYOND_FLOAT}"', BEYOND_FLOAT),      # its text, as the page's form sends it
    (str(MAX_SEED), MAX_SEED),
    (f'" {MAX_SEED}"', MAX_SEED),
    ("4.0", 4),                               # a float is taken while it is exact
    ('"1e3"', 1000),
])
def test_every_whole_seed_up_to_2_63_is_kept_exactly(page, sent, seed):  # noqa: F811
    client, app, _ = page
    response = client.post("/api/jobs", content=f'{{"schedule": "list", "timesteps": "0", "seed": {sent}}}',
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    assert app.state.runner.jobs[response.json()["id"]].settings.seed == seed
    done = finish(app, response)
    assert done["type"] == "done" and done["entry"]["seed"] == seed
    listed = client.get("/api/gallery")
    assert f'"seed": {seed},' in listed.text or f'"seed":{seed},' in listed.text  # digits, not a float's
    assert json.loads(listed.text)[0]["seed"] == seed


@pytest.mark.parametrize("sent, words", [
    ("9223372036854775808", "outside 0 to 9223372036854775807"),
    ('"9223372036854775808"', "outside 0 to 9223372036854775807"),
    ("1e20", "write its digits"),
    ("9007199254740993.0", "write its digits"),  # a float: already 9007199254740992 when it arrives
    ('"1e20"', "write its digits"),
    ("1.5", "not a whole number"),
    ('"12a"', "not a whole number"),
    ('"-1"', "outside 0 to"),
])
def test_a_seed_past_2_63_or_not_exact_is_refused_with_one_line(page, sent, words):  # noqa: F811
    client, app, _ = page
    before = len(app.state.runner.jobs)
    response = client.post("/api/jobs", content=f'{{"seed": {sent}}}', headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    message = response.json()["error"]
    assert message.startswith("seed ") and words in message and "\n" not in message and len(message) < 200
    assert len(app.state.runner.jobs) == before


def test_the_largest_seed_draws_what_generate_draws(page, tmp_path):  # noqa: F811
    client, app, _ = page
    done = finish(app, client.post("/api/jobs", json={**QUICK, "sampler": "ddpm", "seed": MAX_SEED}))
    assert done["type"] == "done", done
    result = CliRunner().invoke(cli, ["generate", "--timesteps", "0", "--sampler", "ddpm", "--seed", str(MAX_SEED),
                                      "--out", str(tmp_path / "g.png"), "--save-npy", str(tmp_path / "g.npy"),
                                      "--quiet", "--no-ascii"])
    assert result.exit_code == 0, result.output
    expected = pixels_of(png_bytes(np.load(tmp_path / "g.npy")))  # the pictures, not their settings' chunks
    assert np.array_equal(pixels_of(client.get(f"/api/gallery/{done['entry']['id']}.png").content), expected)
    other = finish(app, client.post("/api/jobs", json={**QUICK, "sampler": "ddpm", "seed": MAX_SEED - 1}))
    other_pixels = pixels_of(client.get(f"/api/gallery/{other['entry']['id']}.png").content)
    assert not np.array_equal(other_pixels, expected)  # the last digit counts


def pixels_of(png: bytes) -> np.ndarray:
    import io

    from PIL import Image

    with Image.open(io.BytesIO(png)) as picture:
        return np.asarray(picture.convert("RGB"))


# ---- the page in a real browser: NULL fields and a seed past 2^53 ------------------------------
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg==")


def plant_rows_with_nulls(path) -> None:
    """Rows another program wrote into the gallery table: every listed field NULL that may be."""
    engine = get_engine("duckdb", str(path))
    try:
        Gallery(engine)
        for row_id, settings in (("allnull", None), ("nullsettings", "null")):
            engine.execute_sql(f"INSERT INTO {TABLE} (id, created_at, settings, png_base64) VALUES (?, ?, ?, ?)",
                               [row_id, "2020-01-01", settings, base64.b64encode(PNG).decode()])
    finally:
        engine.close()


@pytest.fixture
def served_file(tmp_path):
    """uvicorn serving the demo on a DuckDB file whose gallery holds rows with NULL fields."""
    import uvicorn

    from sqldiffusion.serve.app import create_app

    plant_rows_with_nulls(tmp_path / "gallery.duckdb")
    engine = get_engine("duckdb", str(tmp_path / "gallery.duckdb"))
    app = create_app(engine, serve_models(engine, []))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}", app
    server.should_exit = True
    thread.join(timeout=30)
    engine.close()


def newest_job(app):
    return list(app.state.runner.jobs.values())[-1]


@pytest.mark.slow
def test_the_page_lists_null_fields_and_sends_a_large_seed_exactly(served_file):
    from playwright.sync_api import sync_playwright

    executable = chromium()
    url, app = served_file
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        tab = browser.new_page()
        errors: list[str] = []
        tab.on("pageerror", lambda e: errors.append(str(e)))
        tab.goto(url)
        tab.wait_for_selector("body[data-ready='1']", timeout=30_000)
        assert tab.locator("#gallery .item").count() == 2
        assert tab.inner_text("#gallery .item[data-id='allnull'] p") == "seed –, –, – s"
        tab.click("#gallery .item[data-id='nullsettings']")
        detail = tab.inner_text("#gallery-detail")
        assert "2020-01-01" in detail and detail.count("–") == 8, detail  # all but when it was made

        # a seed typed in the form past 2^53 reaches the job exactly, and so does "Run again"
        tab.select_option("#model", "demo")
        tab.select_option("#sampler", "ddpm")
        tab.select_option("#schedule", "list")
        tab.fill("#timesteps", "0")
        tab.fill("#seed", str(MAX_SEED))
        tab.click("#generate")
        tab.wait_for_function("document.querySelectorAll('#gallery .item').length === 3", timeout=60_000)
        assert newest_job(app).settings.seed == MAX_SEED
        assert f"seed {MAX_SEED}, ddpm" in tab.inner_text("#gallery")
        assert f"seed{MAX_SEED}" in tab.inner_text("#gallery-detail").replace("\t", "").replace("\n", "")
        tab.fill("#seed", str(BEYOND_FLOAT))
        tab.click("#run-again")  # the entry's settings, its seed among them, back in the form
        tab.wait_for_function("document.querySelectorAll('#gallery .item').length === 4", timeout=60_000)
        assert tab.input_value("#seed") == str(MAX_SEED) and newest_job(app).settings.seed == MAX_SEED
        tab.fill("#seed", str(BEYOND_FLOAT))
        tab.click("#generate")
        tab.wait_for_function("document.querySelectorAll('#gallery .item').length === 5", timeout=60_000)
        assert newest_job(app).settings.seed == BEYOND_FLOAT
        assert errors == []
        browser.close()
