"""`sqldiffusion serve` with a latent model: the state lists its decoder as a network of its own,
a run streams the decoder's statements after the UNet's, each step's previews (computed in SQL)
and lands the decoded picture in the gallery; and the page in a real browser lights the decoder."""

from __future__ import annotations

import io
import json
import threading
import time

import numpy as np
import pytest
from test_latent import kl  # noqa: F401 - the fixture: a pipeline folder of a UNet on an AutoencoderKL's latents
from test_serve import chromium, decode, free_port, stream

from sqldiffusion.backends import get_engine
from sqldiffusion.diagram import decoder_module_of
from sqldiffusion.events import StepFinished
from sqldiffusion.pictures import grid, to_pixels
from sqldiffusion.pipeline import SQLDiffusionPipeline
from sqldiffusion.serve.server import serve_models
from sqldiffusion.sql_autoencoder import DECODE

starlette_testclient = pytest.importorskip("starlette.testclient")
SETTINGS = dict(sampler="ddpm", schedule="list", timesteps="500,0", seed=7)


@pytest.fixture(scope="module")
def served_latent(kl):  # noqa: F811
    from sqldiffusion.serve.app import create_app

    folder = str(kl[3])
    engine = get_engine("duckdb")
    app = create_app(engine, serve_models(engine, [folder]))
    with starlette_testclient.TestClient(app, base_url="http://127.0.0.1:8000") as client:
        yield client, folder, app
    engine.close()


def test_a_latent_models_run_streams_previews_the_decoder_and_the_decoded_picture(served_latent):
    from PIL import Image

    client, folder, app = served_latent
    served = app.state.runner.models[folder]
    decoder = served.vae.program(DECODE, 16, 16)
    model = client.get("/api/state").json()["models"][0]
    assert (model["size"], model["latent_size"], model["preview"]) == ([16, 16], [8, 8], "latent channels")
    assert model["decoder"]["layout"] == "chain" and model["decoder_class"] == "AutoencoderKL"
    assert [s["target"] for b in model["decoder"]["blocks"] for s in b["statements"]] == \
        [s.target for s in decoder.statements]
    assert client.get("/api/models/0/program?network=decoder").text == decoder.text()
    assert client.get("/api/models/1/program?network=decoder").status_code == 404  # the demo: a pixel model

    job = client.post("/api/jobs", json={"model": folder, **SETTINGS}).json()
    events = stream(client, job["id"])
    assert events[-1]["type"] == "done", events[-1]
    started = next(e for e in events if e["type"] == "started")
    assert started["decoder_statements"] == len(decoder.statements) and started["preview"] == "latent channels"
    decoding = [e for e in events if e["type"] == "statement" and e["network"] == "decoder"]
    assert [e["index"] for e in decoding] == list(range(len(decoder.statements)))
    assert [e["module"] for e in decoding] == [decoder_module_of(s.label) for s in decoder.statements]
    last_step = max(i for i, e in enumerate(events) if e["type"] == "step")
    assert events.index(decoding[0]) > last_step

    # the same run through the pipeline: the steps' previews and the decoded picture, pixel for pixel
    pipe = SQLDiffusionPipeline(served.net, vae=served.vae)
    pipe.set_progress_bar_config(disable=True)
    watched = []
    picture = pipe(timesteps=[500, 0], seed=7, sampler="ddpm", output_type="array",
                   on_event=lambda e: watched.append(e) if isinstance(e, StepFinished) else None).images
    steps = [e for e in events if e["type"] == "step"]
    assert len(steps) == len(watched) == 2
    for sent, step in zip(steps, watched):
        np.testing.assert_array_equal(decode(sent["sample"]), grid(to_pixels(step.sample_preview)))
        np.testing.assert_array_equal(decode(sent["prediction"]), grid(to_pixels(step.prediction_preview)))
        assert decode(sent["sample"]).shape == (8, 8, 3)  # the latents' size
    png = client.get(f"/api/gallery/{events[-1]['entry']['id']}.png").content
    drawn = Image.open(io.BytesIO(png))
    np.testing.assert_array_equal(np.asarray(drawn), grid(to_pixels(picture)))
    made = json.loads(drawn.text["sqldiffusion"])
    assert made["size"] == [16, 16] and made["autoencoder_digest"] == served.vae.model.digest


@pytest.fixture
def live_latent(kl):  # noqa: F811
    import uvicorn

    from sqldiffusion.serve.app import create_app

    folder = str(kl[3])
    engine = get_engine("duckdb")
    app = create_app(engine, serve_models(engine, [folder]))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{server.config.port}", app, folder
    server.should_exit = True
    thread.join(timeout=30)
    engine.close()


@pytest.mark.slow
def test_the_page_shows_a_latent_models_previews_and_lights_its_decoder(live_latent, tmp_path):
    from playwright.sync_api import sync_playwright

    executable = chromium()
    url, app, folder = live_latent
    served = app.state.runner.models[folder]
    decoder = served.vae.program(DECODE, 16, 16)
    modules = list(dict.fromkeys(decoder_module_of(s.label) for s in decoder.statements))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1200, "height": 1300})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        page.wait_for_selector("body[data-ready='1']")
        page.evaluate("""() => { window.lit = [];
            new MutationObserver((records) => { for (const r of records)
                if (r.target.classList && r.target.classList.contains('active'))"""
                      """ window.lit.push(r.target.dataset.name); })
            .observe(document.getElementById('network'),"""
                      """ {attributes: true, subtree: true, attributeFilter: ['class']}); }""")
        page.select_option("#model", folder)
        assert page.is_visible("#decoder-diagram")
        assert page.locator("#decoder-diagram .block").count() == len(modules)
        page.select_option("#sampler", SETTINGS["sampler"])
        page.select_option("#schedule", SETTINGS["schedule"])
        page.fill("#timesteps", SETTINGS["timesteps"])
        page.click("#generate")
        page.wait_for_selector("#gallery .item", timeout=60_000)
        page.wait_for_selector("#final-figure:not([hidden])")
        assert page.get_attribute("#sample", "src").startswith("data:image/png;base64,")
        assert "latent channels" in page.inner_text("#preview-note")
        lit = page.evaluate("window.lit")
        assert "conv_out" in lit and "decoder.conv_out" in lit and lit.index("decoder.conv_in") > lit.index("conv_out")
        assert page.locator("#decoder-diagram .block.ran").count() == len(modules)
        page.click(".block[data-name='decoder.conv_out']")
        conv_out = next(s for s in decoder.statements if s.label == "decoder.conv_out")
        assert page.inner_text("#block-sql pre") == f"CREATE TEMP TABLE {conv_out.target} AS\n{conv_out.sql};"
        page.wait_for_function("document.querySelector('#final').naturalWidth > 0")
        page.screenshot(path=str(tmp_path / "latent-page.png"), full_page=True)
        assert (tmp_path / "latent-page.png").stat().st_size > 10_000
        assert errors == []
        browser.close()
