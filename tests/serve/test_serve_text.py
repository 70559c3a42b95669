"""`sqldiffusion serve` with a text-to-image pipeline folder: the state draws the text encoder as a
network of its own and the UNet's Transformer2DModels as blocks; a run takes a prompt, a negative
prompt and a guidance scale as JSON strings and numbers, streams the text encoder's statements
before the UNet's and the decoder's, and lands SQLStableDiffusionPipeline's picture for the same
settings in the gallery; hostile prompts get one line; and the page in a real browser takes a
prompt, lights the three networks and shows the picture, the prompt as text."""

from __future__ import annotations

import io
import json
import re
import threading
import time
from importlib.resources import files

import numpy as np
import pytest
from test_serve import chromium, free_port, stream
from test_text_to_image import sd1  # noqa: F401 - the fixture: a tiny StableDiffusionPipeline folder

from sqldiffusion.backends import get_engine
from sqldiffusion.diagram import module_of, text_module_of
from sqldiffusion.pictures import grid, to_pixels
from sqldiffusion.serve.server import serve_models
from sqldiffusion.text_pipeline import SQLStableDiffusionPipeline
from sqldiffusion.tokenizer import MAX_PROMPT_BYTES

starlette_testclient = pytest.importorskip("starlette.testclient")
RUN = dict(sampler="ddim", schedule="steps", steps=1, seed=3, prompt="the butter", negative_prompt="and",
           guidance_scale=5)
HTML = '<img src=x onerror="window.injected=1"><b id="bold">butter</b> & "the"'


@pytest.fixture(scope="module")
def served_text(sd1):  # noqa: F811
    from sqldiffusion.serve.app import create_app

    folder = str(sd1[1])
    engine = get_engine("duckdb")
    app = create_app(engine, serve_models(engine, [folder]))
    with starlette_testclient.TestClient(app, base_url="http://127.0.0.1:8000") as client:
        yield client, folder, app
    engine.close()


def test_the_state_draws_the_text_encoder_and_the_unets_transformers(served_text):
    client, folder, app = served_text
    served = app.state.runner.models[folder]
    text, unet = served.text_program(), served.program()
    model = client.get("/api/state").json()["models"][0]
    assert model["text_class"] == "CLIPTextModel" and model["text"]["layout"] == "chain"
    assert [s["target"] for b in model["text"]["blocks"] for s in b["statements"]] == \
        [s.target for s in text.statements]
    assert [b["name"] for b in model["text"]["blocks"]] == list(dict.fromkeys(text_module_of(s.label)
                                                                             for s in text.statements))
    assert [b["name"] for b in model["text"]["blocks"]] == \
        ["text_model.embeddings", "text_model.encoder.layers.0", "text_model.encoder.layers.1",
         "text_model.final_layer_norm"]
    transformers = {b["name"]: (b["parent"], b["type"]) for b in model["diagram"]["blocks"] if "parent" in b}
    cross = {s.label.rsplit(".attentions.", 1)[0] + ".attentions." + s.label.split(".attentions.")[1].split(".")[0]
             for s in unet.statements if ".attn2." in s.label}  # every statement of the cross-attention, once
    assert set(transformers) == cross == {"down_blocks.0.attentions.0", "mid_block.attentions.0",
                                          "up_blocks.1.attentions.0", "up_blocks.1.attentions.1"}
    assert all(parent == name.split(".attentions.")[0] and kind == "Transformer2DModel"
               for name, (parent, kind) in transformers.items())
    assert sorted(s["index"] for b in model["diagram"]["blocks"] for s in b["statements"]) == \
        list(range(len(unet.statements)))
    assert all(pair[0] in {b["name"] for b in model["diagram"]["blocks"] if "parent" not in b}
               for pair in model["diagram"]["skips"])
    assert client.get("/api/models/0/program?network=text_encoder").text == text.text()
    refused = client.get("/api/models/1/program?network=text_encoder")  # the demo takes no text
    assert refused.status_code == 404 and refused.json()["error"] == \
        "model 1 has no network 'text_encoder' (it has: unet)"


def test_a_prompt_runs_the_three_networks_and_makes_the_pipelines_picture(served_text):
    from PIL import Image

    client, folder, app = served_text
    served = app.state.runner.models[folder]
    text = served.text_program()
    job = client.post("/api/jobs", json={"model": folder, **RUN}).json()
    events = stream(client, job["id"])
    assert events[-1]["type"] == "done", events[-1]
    assert next(e for e in events if e["type"] == "started")["text_statements"] == len(text.statements)
    statements = [e for e in events if e["type"] == "statement"]
    encoding = [e for e in statements if e["network"] == "text_encoder"]
    # the negative prompt's pass, then the prompt's, all before the UNet's first statement
    assert [e["index"] for e in encoding] == list(range(len(text.statements))) * 2
    assert [e["module"] for e in encoding] == [text_module_of(s.label) for s in text.statements] * 2
    assert statements.index(encoding[-1]) < next(i for i, e in enumerate(statements) if e["network"] == "unet")
    lit = {e["module"] for e in statements if e["network"] == "unet"}
    assert {module_of(s.label) for s in served.program().statements} == lit
    assert "up_blocks.1.attentions.1" in lit and {e["network"] for e in statements} == \
        {"text_encoder", "unet", "decoder"}

    pipe = SQLStableDiffusionPipeline(served.net, served.text_encoder, served.tokenizer, vae=served.vae)
    pipe.set_progress_bar_config(disable=True)
    picture = pipe(RUN["prompt"], negative_prompt=RUN["negative_prompt"], guidance_scale=RUN["guidance_scale"],
                   num_inference_steps=RUN["steps"], sampler="ddim", seed=RUN["seed"], output_type="array").images
    png = client.get(f"/api/gallery/{events[-1]['entry']['id']}.png").content
    drawn = Image.open(io.BytesIO(png))
    np.testing.assert_array_equal(np.asarray(drawn), grid(to_pixels(picture)))
    made = json.loads(drawn.text["sqldiffusion"])
    assert (made["prompt"], made["negative_prompt"], made["guidance_scale"]) == ("the butter", "and", 5.0)
    assert events[-1]["entry"]["settings"]["prompt"] == "the butter"


def test_cancelling_while_the_text_encoder_runs_leaves_no_relations(served_text):
    client, folder, app = served_text
    job = client.post("/api/jobs", json={"model": folder, **RUN}).json()
    events = stream(client, job["id"], until=lambda e: e["type"] == "statement" and e["index"] == 3)
    assert events[-1]["network"] == "text_encoder"
    client.post(f"/api/jobs/{job['id']}/cancel", json={})
    assert stream(client, job["id"])[-1]["type"] == "cancelled"
    engine = app.state.runner.engine
    assert engine.query("SELECT count(*) FROM duckdb_tables() WHERE temporary")[0][0] == 0


def test_a_prompt_in_html_comes_back_as_the_same_text(served_text):
    from sqldiffusion.serve.jobs import parse_settings

    _, folder, app = served_text
    settings = parse_settings({"model": folder, **RUN, "prompt": HTML, "negative_prompt": HTML},
                              app.state.runner.models)
    assert settings.prompt == settings.negative_prompt == HTML
    assert settings.form()["prompt"] == HTML
    # the page writes what it is sent only as text: every innerHTML it sets is the empty string
    for script in ("app.js", "diagram.js"):
        source = (files("sqldiffusion.serve") / "static" / script).read_text()
        assert re.findall(r"innerHTML\s*=\s*([^;]+);", source) and \
            set(re.findall(r"innerHTML\s*=\s*([^;]+);", source)) == {'""'}
        assert "insertAdjacentHTML" not in source and "outerHTML" not in source and "document.write" not in source


@pytest.mark.parametrize("body, message", [
    ({"prompt": "é" * (MAX_PROMPT_BYTES // 2 + 1)},
     f"the prompt is {MAX_PROMPT_BYTES + 2} bytes long in UTF-8; at most {MAX_PROMPT_BYTES} are taken"),
    ({"negative_prompt": "a\x1b[31mred"}, "the negative prompt holds the control character U+001B"),
    ({"prompt": "a\x00b"}, "the prompt holds the control character U+0000"),
    ({"prompt": 42}, "prompt 42 is not text: send it as a JSON string"),
    ({"prompt": None}, "prompt None is not text: send it as a JSON string"),
    ({"negative_prompt": ["a", "b"]}, "negative_prompt ['a', 'b'] is not text: send it as a JSON string"),
    ({"prompt": {"text": "a"}}, "prompt {'text': 'a'} is not text: send it as a JSON string"),
    ({"guidance_scale": "lots"}, "guidance_scale 'lots' is not a finite number"),
    ({"guidance_scale": 1e6}, "guidance_scale is 1000000.0; give a number between -1000 and 1000"),
])
def test_a_hostile_prompt_is_refused_in_one_line(served_text, body, message):
    client, folder, app = served_text
    response = client.post("/api/jobs", json={"model": folder, **RUN, **body})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error.startswith(message) and "\n" not in error and len(error) < 300
    assert app.state.runner.waiting() == (None, [])


def test_a_lone_surrogate_and_a_prompt_to_a_model_without_text_are_refused(served_text):
    client, folder, _ = served_text
    raw = '{"model": %s, "prompt": "\\ud800"}' % json.dumps(folder)
    response = client.post("/api/jobs", content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and "\n" not in response.json()["error"]
    assert response.json()["error"] == "the prompt is not valid Unicode text (it holds a lone surrogate)"
    response = client.post("/api/jobs", json={"model": "demo", "prompt": "a butterfly"})
    assert response.status_code == 400
    assert response.json()["error"] == "model 'demo' takes no prompt (prompt given); choose a text-to-image model"


@pytest.fixture
def live_text(sd1):  # noqa: F811
    import uvicorn

    from sqldiffusion.serve.app import create_app

    folder = str(sd1[1])
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
def test_the_page_takes_a_prompt_and_lights_the_three_networks(live_text, tmp_path):
    from playwright.sync_api import sync_playwright

    executable = chromium()
    url, app, folder = live_text
    served = app.state.runner.models[folder]
    text_modules = list(dict.fromkeys(text_module_of(s.label) for s in served.text_program().statements))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1200, "height": 1500})
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
        page.select_option("#model", "demo")
        assert not page.is_visible("#prompt") and not page.is_visible("#text-diagram")
        page.select_option("#model", folder)
        assert page.locator("#text-diagram .block").count() == len(text_modules)
        assert page.locator("#diagram .block.part").count() == 4  # the UNet's Transformer2DModels
        page.fill("#prompt", HTML)
        page.fill("#negative_prompt", "and")
        page.fill("#guidance_scale", "5")
        page.select_option("#sampler", "ddim")
        page.select_option("#schedule", "steps")
        page.fill("#steps", "1")
        page.click("#generate")
        page.wait_for_selector("#gallery .item", timeout=120_000)
        page.wait_for_selector("#final-figure:not([hidden])")
        page.wait_for_function("document.querySelector('#final').naturalWidth > 0")
        lit = page.evaluate("window.lit")
        assert lit.index("text_model.final_layer_norm") < lit.index("conv_in") < lit.index("decoder.conv_out")
        assert "up_blocks.1.attentions.0" in lit
        for svg, count in (("#text-diagram", len(text_modules)), ("#diagram", None), ("#decoder-diagram", None)):
            ran = page.locator(f"{svg} .block.ran").count()
            assert ran == count if count else ran > 0
        # the prompt, written as HTML, is shown as the text it is
        assert page.inner_text("#gallery-detail dd >> nth=0") == HTML
        assert page.locator("#gallery-detail b, #gallery-detail img").count() == 0
        assert page.evaluate("window.injected") is None
        page.screenshot(path=str(tmp_path / "text-page.png"), full_page=True)
        assert errors == []
        browser.close()
