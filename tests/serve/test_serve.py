"""`sqldiffusion serve`: the pipeline's events against diffusers, the HTTP API and its event stream
on a real DuckDB, the queue, cancelling, the gallery in the database, and the page in a real browser."""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import socket
import threading
import time

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import random_sample
from PIL import Image

from sqldiffusion import SQLDiffusionError
from sqldiffusion.backends import get_engine
from sqldiffusion.cli import cli
from sqldiffusion.diagram import module_of
from sqldiffusion.events import StatementFinished, StatementStarted, StepFinished
from sqldiffusion.pictures import grid, to_pixels
from sqldiffusion.pipeline import SQLDiffusionPipeline
from sqldiffusion.recipe import DEFAULT_KARRAS, DEFAULT_SAMPLER, DEFAULT_STEPS
from sqldiffusion.serve.gallery import Gallery
from sqldiffusion.serve.server import is_loopback, serve_models
from sqldiffusion.sql_unet import SQLUNet

torch = pytest.importorskip("torch")
diffusers = pytest.importorskip("diffusers")
starlette_testclient = pytest.importorskip("starlette.testclient")


# ---- the pipeline's events ---------------------------------------------------------------------
def test_events_report_statements_and_the_predicted_clean_picture(small_model, engine):
    model, folder = small_model
    net = SQLUNet(folder, engine)
    x = random_sample(2, 3, 16, seed=5)
    events = []
    pipe = SQLDiffusionPipeline(net)
    pipe.set_progress_bar_config(disable=True)
    out = pipe(timesteps=[500, 0], init_noise=x, add_noise=False, output_type="latent", on_event=events.append).images

    program = net.program(16, 16)
    statements = [e for e in events if not isinstance(e, StepFinished)]
    expected = [(kind, s.target) for _ in range(2) for s in program.statements
                for kind in (StatementStarted, StatementFinished)]
    assert [(type(e), e.statement.target) for e in statements] == expected
    assert all(e.seconds >= 0 for e in statements if isinstance(e, StatementFinished))

    steps = [e for e in events if isinstance(e, StepFinished)]
    assert [(s.step.index, s.step.timestep) for s in steps] == [(0, 500), (1, 0)]
    scheduler = diffusers.DDPMScheduler()
    scheduler.set_timesteps(timesteps=[500, 0])
    scheduler._get_variance = lambda t, predicted_variance=None, variance_type=None: torch.tensor(0.0)
    sample = torch.from_numpy(x)
    with torch.no_grad():
        for t, seen in zip(scheduler.timesteps, steps):
            result = scheduler.step(model(sample, t).sample, t, sample)
            np.testing.assert_allclose(seen.prediction, result.pred_original_sample.numpy(), atol=1e-4, rtol=0)
            np.testing.assert_allclose(seen.sample, result.prev_sample.numpy(), atol=1e-4, rtol=0)
            sample = result.prev_sample
    np.testing.assert_array_equal(steps[-1].sample, out)


def test_a_handler_that_raises_stops_the_run_and_leaves_no_relations(small_model):
    _, folder = small_model
    net = SQLUNet(folder)
    seen = []

    def stop_at_tenth(event):
        seen.append(event)
        if len(seen) == 10:
            raise RuntimeError("enough")

    with pytest.raises(RuntimeError, match="enough"):
        SQLDiffusionPipeline(net)(timesteps=[500, 0], seed=0, on_event=stop_at_tenth)
    assert len(seen) == 10
    assert net.engine.query("SELECT count(*) FROM duckdb_tables() WHERE temporary")[0][0] == 0


@pytest.mark.parametrize("engine_name", ["duckdb", "hyper"])
def test_interrupt_stops_a_running_statement_and_the_engine_stays_usable(engine_name, request):
    engine = request.getfixturevalue("hyper_engine") if engine_name == "hyper" else get_engine("duckdb")
    d = engine.dialect
    endless = f"SELECT sum(a.i * b.j) FROM {d.series(200_000, 'i')} a, {d.series(200_000, 'j')} b"
    timer = threading.Timer(0.3, engine.interrupt)
    timer.start()
    began = time.perf_counter()
    with pytest.raises(Exception):
        engine.query(endless)
    assert time.perf_counter() - began < 5
    assert engine.query("SELECT 41 + 1")[0][0] == 42


# ---- the diagram -------------------------------------------------------------------------------
def test_module_names_are_the_diffusers_modules(small_model):
    model, folder = small_model
    net = SQLUNet(folder)
    modules = dict(model.named_modules())
    names = {module_of(s.label) for s in net.program(16, 16).statements}
    assert names == {"time_embedding", "conv_in", "down_blocks.0", "down_blocks.1", "mid_block", "up_blocks.0",
                     "up_blocks.1", "conv_norm_out", "conv_out"}
    assert names <= set(modules)


# ---- the HTTP API ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def served(tmp_path_factory, small_template):
    """The app on a real DuckDB serving the small model (and the demo), through Starlette's client."""
    _, template = small_template
    folder = shutil.copytree(template, tmp_path_factory.mktemp("served") / "small")
    from sqldiffusion.serve.app import create_app

    engine = get_engine("duckdb")
    app = create_app(engine, serve_models(engine, [str(folder)]))
    with starlette_testclient.TestClient(app, base_url="http://127.0.0.1:8000") as client:
        yield client, str(folder), app
    engine.close()


def stream(client, job_id: str, until=None) -> list[dict]:
    """The events of a job, read from its Server-Sent Events stream."""
    events = []
    with client.stream("GET", f"/api/jobs/{job_id}/events") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
                if until and until(events[-1]):
                    break
    return events


def decode(data_url: str) -> np.ndarray:
    assert data_url.startswith("data:image/png;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data_url.split(",", 1)[1]))))


def test_state_lists_the_models_with_their_diagrams(served, small_template):
    client, folder, app = served
    state = client.get("/api/state").json()
    assert state["engine"] == "duckdb"
    assert [m["key"] for m in state["models"]] == [folder, "demo"]
    small = state["models"][0]
    net = app.state.runner.models[folder].net
    program = net.program(16, 16)
    blocks = small["diagram"]["blocks"]
    assert [s["sql"] for b in blocks for s in b["statements"]] == \
        [f"CREATE TEMP TABLE {s.target} AS\n{s.sql};" for s in program.statements]
    # every up block reads skips from the down path
    assert {b for _, b in small["diagram"]["skips"]} == {"up_blocks.0", "up_blocks.1"}
    assert client.get("/api/models/0/program").text == program.text()
    assert client.get("/api/models/7/program").status_code == 404


@pytest.mark.parametrize("settings, cli_args", [
    (dict(schedule="list", timesteps="0,500"), ["--timesteps", "0,500"]),
    (dict(schedule="steps", steps=0), ["--steps", "0"]),
    (dict(sampler="ddim", eta=2), ["--sampler", "ddim", "--eta", "2"]),
    (dict(schedule="list", timesteps="5,x"), ["--timesteps", "5,x"]),
])
def test_bad_settings_get_the_command_lines_message(served, settings, cli_args):
    client, folder, _ = served
    response = client.post("/api/jobs", json={"model": folder, **settings})
    assert response.status_code == 400
    result = CliRunner().invoke(cli, ["generate", "--model", folder, "--quiet", *cli_args])
    assert isinstance(result.exception, SQLDiffusionError)
    assert response.json()["error"] == str(result.exception)


@pytest.mark.parametrize("settings, message", [
    (dict(model="/etc"), "is not served here"),
    (dict(seed=-3), "outside 0 to"),
    (dict(seed="abc"), "not a whole number"),
    (dict(batch=100), "between 1 and"),
    (dict(schedule="weekly"), "unknown schedule"),
])
def test_the_page_chooses_only_among_what_is_served(served, settings, message):
    client, _, _ = served
    response = client.post("/api/jobs", json=settings)
    assert response.status_code == 400 and message in response.json()["error"]
    assert "\n" not in response.json()["error"]
    not_json = client.post("/api/jobs", content=b"not json", headers={"Content-Type": "application/json"})
    assert not_json.status_code == 400


def test_the_pages_defaults_are_the_command_lines_and_draw_its_picture(served):
    from sqldiffusion.recipe import DEFAULT_KARRAS, DEFAULT_SAMPLER, DEFAULT_STEPS
    from sqldiffusion.serve.jobs import png_bytes

    client, folder, app = served
    defaults = client.get("/api/state").json()["defaults"]
    assert (defaults["sampler"], defaults["karras"], defaults["schedule"], defaults["steps"]) == \
        (DEFAULT_SAMPLER, DEFAULT_KARRAS, "steps", DEFAULT_STEPS)
    settings = {k: defaults[k] for k in ("sampler", "karras", "eta", "schedule", "steps", "seed", "batch")}
    job = client.post("/api/jobs", json={**settings, "model": folder, "seed": 4}).json()
    done = stream(client, job["id"])[-1]
    assert done["type"] == "done", done
    net = app.state.runner.models[folder].net
    pipe = SQLDiffusionPipeline(net)
    pipe.set_progress_bar_config(disable=True)
    expected = pipe(num_inference_steps=DEFAULT_STEPS, sampler=DEFAULT_SAMPLER, use_karras_sigmas=DEFAULT_KARRAS,
                    seed=4, output_type="latent").images
    drawn = Image.open(io.BytesIO(client.get(f"/api/gallery/{done['entry']['id']}.png").content))
    assert np.array_equal(np.asarray(drawn), np.asarray(Image.open(io.BytesIO(png_bytes(expected)))))  # pixels


def test_a_generation_streams_its_steps_and_lands_in_the_gallery(served):
    client, folder, app = served
    settings = dict(model=folder, schedule="list", timesteps="500,0", seed=7, batch=2)
    job = client.post("/api/jobs", json=settings).json()
    events = stream(client, job["id"])
    kinds = [e["type"] for e in events]
    assert kinds[-1] == "done" and kinds.count("step") == 2
    net = app.state.runner.models[folder].net
    statements = len(net.program(16, 16).statements)
    assert kinds.count("statement") == kinds.count("statement_done") == 2 * statements
    assert [e["index"] for e in events if e["type"] == "statement"] == list(range(statements)) * 2

    # the same run through the pipeline: the same pictures, bit for bit
    pipe = SQLDiffusionPipeline(net)
    pipe.set_progress_bar_config(disable=True)
    watched = []
    final = pipe(batch_size=2, timesteps=[500, 0], seed=7, output_type="latent",
                 on_event=lambda e: watched.append(e) if isinstance(e, StepFinished) else None).images
    steps = [e for e in events if e["type"] == "step"]
    for sent, step in zip(steps, watched):
        np.testing.assert_array_equal(decode(sent["sample"]), grid(to_pixels(step.sample), gap=1))
        np.testing.assert_array_equal(decode(sent["prediction"]), grid(to_pixels(step.prediction), gap=1))
    assert steps[0]["timestep"] == 500 and steps[1]["left"] == 0

    entry = events[-1]["entry"]
    listed = client.get("/api/gallery").json()
    assert listed[0]["id"] == entry["id"] and listed[0]["seed"] == 7 and listed[0]["schedule"] == "500,0"
    assert listed[0]["digest"] == net.model.digest and listed[0]["engine"] == "duckdb"
    png = client.get(f"/api/gallery/{entry['id']}.png")
    assert png.headers["content-type"] == "image/png"
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(png.content))), grid(to_pixels(final), gap=1))
    assert client.get("/api/gallery/nothing.png").status_code == 404


def test_cancel_stops_a_run_within_a_second_and_the_engine_goes_on(served):
    client, folder, app = served
    long = client.post("/api/jobs", json=dict(model=folder, schedule="steps", steps=1000)).json()
    waiting = client.post("/api/jobs", json=dict(model=folder, schedule="list", timesteps="500,0")).json()
    assert waiting["place"] == 1
    stream(client, long["id"], until=lambda e: e["type"] == "step")
    asked = time.perf_counter()
    assert client.post(f"/api/jobs/{long['id']}/cancel", json={}).status_code == 200
    events = stream(client, long["id"])
    assert events[-1]["type"] == "cancelled"
    runner = app.state.runner
    while runner.jobs[long["id"]].state != "cancelled":
        time.sleep(0.01)
    assert time.perf_counter() - asked < 2.0
    # the queued job runs next, on the same engine
    events = stream(client, waiting["id"])
    assert events[0] == {"type": "queued", "place": 1} and events[-1]["type"] == "done"
    # and a queued job can be cancelled before it starts
    first = client.post("/api/jobs", json=dict(model=folder, schedule="steps", steps=1000)).json()
    second = client.post("/api/jobs", json=dict(model=folder, schedule="list", timesteps="500,0")).json()
    client.post(f"/api/jobs/{second['id']}/cancel", json={})
    assert stream(client, second["id"])[-1] == {"type": "cancelled", "reason": "cancelled before it started"}
    client.post(f"/api/jobs/{first['id']}/cancel", json={})
    assert stream(client, first["id"])[-1]["type"] == "cancelled"
    engine = runner.engine
    assert engine.query("SELECT count(*) FROM duckdb_tables() WHERE temporary")[0][0] == 0


def test_the_gallery_survives_a_restart_in_a_database_file(small_model, tmp_path):
    _, folder = small_model
    database = str(tmp_path / "pictures.duckdb")
    engine = get_engine("duckdb", database)
    gallery = Gallery(engine)
    png = Image.new("RGB", (4, 4), (200, 10, 10))
    buffer = io.BytesIO()
    png.save(buffer, format="PNG")
    first = gallery.add(model="demo", digest="d" * 64, engine="duckdb", seed=3, sampler="ddpm", schedule="500,0",
                        batch=1, seconds=1.5, settings={"seed": 3}, png=buffer.getvalue())
    second = gallery.add(model="demo", digest="d" * 64, engine="duckdb", seed=4, sampler="ddim", schedule="500,0",
                         batch=1, seconds=1.0, settings={"seed": 4, "note": "it's"}, png=buffer.getvalue())
    engine.close()
    again = Gallery(get_engine("duckdb", database))
    assert [e["id"] for e in again.entries()] == [second["id"], first["id"]]  # newest first
    assert again.entries()[0]["settings"] == {"seed": 4, "note": "it's"}
    assert again.png(first["id"]) == buffer.getvalue()


def test_the_gallery_on_hyper_lasts_with_its_server(hyper_engine):
    gallery = Gallery(hyper_engine)
    try:
        entry = gallery.add(model="demo", digest="e" * 64, engine="hyper", seed=1, sampler="ddpm", schedule="0",
                            batch=1, seconds=0.5, settings={"quote": "a'b"}, png=b"\x89PNG fake")
        assert Gallery(hyper_engine).png(entry["id"]) == b"\x89PNG fake"
        assert Gallery(hyper_engine).entries()[0]["settings"] == {"quote": "a'b"}
    finally:
        hyper_engine.drop("sqldiffusion_gallery")


def test_loopback_addresses():
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4")


# ---- a real server, and the page in a real browser ---------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_server(small_model):
    """uvicorn serving the small model on a free port, in a thread."""
    import uvicorn

    from sqldiffusion.serve.app import create_app

    _, folder = small_model
    engine = get_engine("duckdb")
    app = create_app(engine, serve_models(engine, [str(folder)]))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}", app, str(folder)
    server.should_exit = True
    thread.join(timeout=30)
    engine.close()


@pytest.mark.slow
def test_a_closed_stream_gives_up_its_place_in_the_queue(live_server):
    import httpx

    url, app, folder = live_server
    long = httpx.post(f"{url}/api/jobs", json=dict(model=folder, schedule="steps", steps=1000)).json()
    queued = httpx.post(f"{url}/api/jobs", json=dict(model=folder, schedule="list", timesteps="500,0")).json()
    with httpx.stream("GET", f"{url}/api/jobs/{queued['id']}/events") as response:
        for line in response.iter_lines():
            if line.startswith("data: "):
                assert json.loads(line[6:])["type"] == "queued"
                break
    job = app.state.runner.jobs[queued["id"]]
    deadline = time.time() + 5
    while job.state != "cancelled" and time.time() < deadline:
        time.sleep(0.05)
    assert job.state == "cancelled"
    httpx.post(f"{url}/api/jobs/{long['id']}/cancel", json={})


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("Chromium is not installed (apt-get install chromium); the page's browser test needs it")
    pytest.importorskip("playwright.sync_api", reason="the page's browser test needs playwright (pip)")
    return "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else path


@pytest.mark.slow
def test_the_page_in_a_real_browser(live_server, tmp_path):
    from playwright.sync_api import sync_playwright

    executable = chromium()
    url, app, folder = live_server
    net = app.state.runner.models[folder].net
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1200, "height": 1300})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        page.wait_for_selector("body[data-ready='1']")
        assert page.inner_text("#engine") == "duckdb"
        assert page.locator(".block").count() == 9
        # record every block that lights up, however briefly
        page.evaluate("""() => { window.lit = [];
            new MutationObserver((records) => { for (const r of records)
                if (r.target.classList && r.target.classList.contains('active'))"""
            """ window.lit.push(r.target.dataset.name); })
            .observe(document.getElementById('diagram'),"""
            """ {attributes: true, subtree: true, attributeFilter: ['class']}); }""")
        assert page.input_value("#sampler") == DEFAULT_SAMPLER and page.is_checked("#karras") == DEFAULT_KARRAS
        assert page.input_value("#steps") == str(DEFAULT_STEPS)
        page.select_option("#model", folder)
        page.select_option("#sampler", "ddpm")
        page.select_option("#schedule", "list")
        page.fill("#timesteps", "500,0")
        page.fill("#seed", "11")
        page.click("#generate")
        page.wait_for_selector("#gallery .item", timeout=60_000)
        assert page.get_attribute("#sample", "src").startswith("data:image/png;base64,")
        assert page.get_attribute("#prediction", "src").startswith("data:image/png;base64,")
        assert "step 2/2" in page.inner_text("#progress")
        lit = page.evaluate("window.lit")
        assert "conv_in" in lit and "conv_out" in lit
        assert page.locator(".block.ran").count() == 9
        # the SQL of a clicked block is the statement the engine ran
        page.click(".block[data-name='conv_in']")
        conv_in = next(s for s in net.program(16, 16).statements if s.label == "conv_in")
        assert page.inner_text("#block-sql pre") == f"CREATE TEMP TABLE {conv_in.target} AS\n{conv_in.sql};"
        page.click("[data-tab='program-tab']")
        assert page.inner_text("#program").strip() == net.program(16, 16).text().strip()
        page.click("[data-tab='diagram-tab']")
        page.screenshot(path=str(tmp_path / "page.png"), full_page=True)
        assert (tmp_path / "page.png").stat().st_size > 10_000
        # the gallery's picture, its settings, and running it again
        page.click("#gallery .item")
        assert "seed11" in page.inner_text("#gallery-detail").replace("\t", "").replace("\n", "").replace(" ", "")
        # cancel a long run
        page.select_option("#schedule", "steps")
        page.fill("#steps", "1000")
        page.click("#generate")
        page.wait_for_function("document.querySelector('#progress').textContent.includes('step 2/1000')",
                               timeout=60_000)
        page.click("#cancel")
        page.wait_for_function("document.querySelector('#status').textContent === 'Cancelled.'", timeout=3_000)
        page.click("#run-again")
        page.wait_for_function("document.querySelectorAll('#gallery .item').length === 2", timeout=60_000)
        assert page.input_value("#seed") == "11" and page.input_value("#timesteps") == "500,0"
        assert errors == []
        browser.close()


@pytest.mark.slow
def test_the_command_says_where_it_listens_and_stops_on_ctrl_c(tmp_path):
    import signal
    import subprocess
    import sys

    import httpx

    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "sqldiffusion.cli", "serve", "--host", "0.0.0.0", "--port",
                                str(port)], stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        lines = []
        for line in process.stderr:
            lines.append(line.strip())
            if "Ctrl-C" in line:
                break
        said = "\n".join(lines)
        assert f"at http://0.0.0.0:{port}/" in said and "not only on this machine" in said
        state = httpx.get(f"http://127.0.0.1:{port}/api/state").json()
        assert [m["key"] for m in state["models"]] == ["demo"]
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 130
        assert "interrupted" in process.stderr.read()
    finally:
        process.kill()
    with socket.socket() as held:  # a port in use: one line, status 2
        held.bind(("127.0.0.1", 0))
        held.listen()
        taken = subprocess.run([sys.executable, "-m", "sqldiffusion.cli", "serve", "--port",
                                str(held.getsockname()[1])], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert taken.returncode == 2
    assert taken.stderr.strip().splitlines()[-1].startswith("error: cannot listen on 127.0.0.1:")
    assert "in use" in taken.stderr


@pytest.mark.slow
def test_cancel_interrupts_a_long_statement(tmp_path):
    """A model whose convolutions take seconds each: cancel lands inside one and stops it."""
    from conftest import make_unet, save_unet

    from sqldiffusion.schedulers import DDPMScheduler
    from sqldiffusion.serve.jobs import Runner, Served, parse_settings

    wide = dict(sample_size=128, in_channels=3, out_channels=3, block_out_channels=[192, 192], layers_per_block=1,
                down_block_types=["DownBlock2D", "DownBlock2D"], up_block_types=["UpBlock2D", "UpBlock2D"],
                norm_num_groups=32)
    folder = save_unet(make_unet(wide), tmp_path / "wide")
    engine = get_engine("duckdb")
    models = {"wide": Served("wide", SQLUNet(folder, engine), DDPMScheduler())}
    runner = Runner(engine, models, Gallery(engine))
    try:
        job = runner.submit(parse_settings({"model": "wide", "schedule": "list", "timesteps": "500,0"}, models))
        conv = "down_blocks.0.resnets.0.conv1"
        while not any(e.get("label") == conv for e in job.since(0)):
            time.sleep(0.01)
        time.sleep(0.3)
        last = job.since(0)[-1]
        assert last["type"] == "statement" and last["label"] == conv, "the convolution ended too soon to interrupt it"
        asked = time.perf_counter()
        runner.cancel(job)
        while not job.finished:
            time.sleep(0.01)
        assert job.state == "cancelled" and time.perf_counter() - asked < 1.0
        assert engine.query("SELECT count(*) FROM duckdb_tables() WHERE temporary")[0][0] == 0
        assert engine.query("SELECT 1")[0][0] == 1
    finally:
        runner.stop()
        engine.close()
