"""export-web: the static page where DuckDB-WASM runs the recorded SQL of a run.

The recorded run is replayed three ways against native `sqldiffusion generate`: by native DuckDB
here (the recording itself), by DuckDB-WASM in Node (the arithmetic of the WASM build) and by the
page in a real Chromium, with every request that leaves 127.0.0.1 blocked.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import os
import re
import shutil
import subprocess
import threading
from pathlib import Path

import duckdb
import numpy as np
import pytest
from click.testing import CliRunner

from sqldiffusion.backends.duckdb.storage import half_values_sql
from sqldiffusion.cli import cli
from sqldiffusion.errors import SQLDiffusionError
from sqldiffusion.exporters.web.export import PINNED, export_web
from sqldiffusion.exporters.web.record import SEED
from sqldiffusion.model import load_model
from sqldiffusion.recipe import DEFAULT_KARRAS, DEFAULT_SAMPLER, Recipe

HERE = Path(__file__).resolve().parent
MODULES = Path(os.environ.get("SQLDIFFUSION_WEB_MODULES", HERE / "node_modules"))
# The default sampler in two steps rather than its default eight: what these tests check (the recording,
# its replays, the page) is the same for every number of steps, and each step is a pass in the browser
STEPS = 2
RUN = f"{DEFAULT_SAMPLER}{'-karras' if DEFAULT_KARRAS else ''}/{STEPS}"
RUN_OPTIONS = ["--sampler", DEFAULT_SAMPLER, *(["--karras"] if DEFAULT_KARRAS else []), "--steps", str(STEPS)]


def assert_close(got: np.ndarray, want: np.ndarray) -> None:
    """Equal to 3e-5 of the picture's largest value. The noise is bit for bit the native one; each
    UNet pass of the WASM build differs from native DuckDB's by a few float32 ulps (sums in another
    order, another libm), which six steps carry to about 1e-5 (docs/browser.md) and the default's
    eight to about 1.7e-5; the two steps here, to less."""
    assert np.abs(got - want).max() <= 3e-5 * max(1.0, np.abs(want).max())


def wasm_modules() -> Path:
    if not (MODULES / "@duckdb" / "duckdb-wasm" / "package.json").is_file():
        pytest.skip("DuckDB-WASM is not installed: npm install --prefix tests/web (as .ci/run does)")
    return MODULES


def run_recipes(model):
    return [Recipe(DEFAULT_SAMPLER, STEPS, None, DEFAULT_KARRAS)]


@pytest.fixture(scope="module")
def demo():
    return load_model("demo")


@pytest.fixture(scope="module")
def cdn_export(demo, tmp_path_factory):
    """The demo's run, exported to load DuckDB-WASM from the default CDN (nothing copied)."""
    out = tmp_path_factory.mktemp("web") / "site"
    export_web(out, demo, run_recipes(demo), max_batch=2)
    return out


@pytest.fixture(scope="module")
def native(tmp_path_factory):
    """`sqldiffusion generate --seed 3 --save-npy` of that run on native DuckDB, and the same with
    --batch 2."""
    folder = tmp_path_factory.mktemp("native")
    samples = {}
    for batch in (1, 2):
        path = folder / f"b{batch}.npy"
        result = CliRunner().invoke(cli, ["generate", "--seed", "3", *RUN_OPTIONS, "--batch", str(batch),
                                          "--save-npy", str(path),
                                          "--out", str(folder / f"b{batch}.png"), "--quiet", "--no-ascii"])
        assert result.exit_code == 0, result.output
        samples[batch] = np.load(path)
    return samples


# ---- the weights and the folder -----------------------------------------------------------------
def test_fp16_bits_widen_to_the_float32_they_denote_exactly():
    bits = np.arange(1 << 16, dtype=np.uint16)
    bits = bits[np.isfinite(bits.view(np.float16))]
    con = duckdb.connect()
    con.register("halves", {"i": np.arange(bits.size), "h": bits})
    got = np.asarray(con.execute(f"SELECT a FROM {half_values_sql('halves')} ORDER BY i").fetchall(),
                     dtype=np.float32).ravel()
    assert np.array_equal(got.view(np.uint32), bits.view(np.float16).astype(np.float32).view(np.uint32))


def test_the_folder_holds_what_the_manifest_says(cdn_export, demo):
    manifest = json.loads((cdn_export / "manifest.json").read_text())
    assert manifest["model"]["digest"] == demo.digest
    assert manifest["duckdb_wasm"]["version"] == PINNED
    assert manifest["default"] == RUN and [r["key"] for r in manifest["recipes"]] == [RUN]
    assert manifest["max_batch"] == 2 and set(manifest["memory"]) == {"1", "2"}
    for name, expected in manifest["files"].items():
        data = (cdn_export / name).read_bytes()
        assert len(data) == expected["bytes"] and hashlib.sha256(data).hexdigest() == expected["sha256"]
    network = json.loads((cdn_export / "network.json").read_text())
    program = "\n".join(s["create"] for s in network["program"])
    assert all(t["table"] in program for t in network["tables"])  # only the tables a pass reads
    assert {t["encoding"] for t in network["tables"]} == {"f16", "f32"}  # Winograd kernels are not fp16
    # fp16 where exact: the download is smaller than float32 weights
    assert manifest["files"]["weights.bin"]["bytes"] < 0.6 * 4 * manifest["model"]["parameters"]
    runs = json.loads((cdn_export / "runs.json").read_text())
    assert set(runs) == {f"{RUN}@1", f"{RUN}@2"}
    assert sum(op.get("pass") is not None for op in runs[f"{RUN}@1"]) == STEPS
    assert all(SEED in op["sql"] for op in runs[f"{RUN}@1"] if "hash(" in op.get("sql", ""))
    page = (cdn_export / "index.html").read_text()
    imports = json.loads(re.search(r'<script type="importmap">(.*?)</script>', page, re.S).group(1))["imports"]
    assert imports["@duckdb/duckdb-wasm"] == f"https://cdn.jsdelivr.net/npm/@duckdb/duckdb-wasm@{PINNED}/dist/duckdb-browser.mjs"
    csp = re.search(r'Content-Security-Policy" content="([^"]*)"', page).group(1)
    assert set(re.findall(r"https?://[^ ;]+", csp)) == {"https://cdn.jsdelivr.net"}  # nothing else is reachable
    assert not (cdn_export / "duckdb-wasm").exists()


def replay_natively(folder: Path, key: str, seed: int) -> np.ndarray:
    """What the page does, in native DuckDB: the tables from weights.bin, then the run's ops."""
    network = json.loads((folder / "network.json").read_text())
    ops = json.loads((folder / "runs.json").read_text())[key]
    manifest = json.loads((folder / "manifest.json").read_text())
    weights = (folder / "weights.bin").read_bytes()
    con = duckdb.connect()
    for sql in network["setup"]:
        con.execute(sql)
    for t in network["tables"]:
        kind, width = ("<u2", "h") if t["encoding"] == "f16" else ("<f4", "a")
        values = np.frombuffer(weights, dtype=kind, count=t["count"], offset=t["offset"])
        con.register("sqld_upload", {"i": np.arange(t["count"], dtype=np.int32), width: values})
        con.execute(t["sql"])
        con.unregister("sqld_upload")
    sample = None
    for op in ops:
        if "sql" in op:
            con.execute(op["sql"].replace(SEED, str(seed)))
        elif "pass" in op:
            con.execute(op["pass"])
            for statement in network["program"]:
                con.execute(statement["create"])
                for drop in statement["drops"]:
                    con.execute(drop)
        elif "decode" in op:  # a latent model's decoder, after the loop
            for statement in network["decoder"]["program"]:
                con.execute(statement["create"])
                for drop in statement["drops"]:
                    con.execute(drop)
        elif "fetch" in op:
            (sample,) = con.execute(op["fetch"]).fetchone()
    b = int(key.split("@")[1])
    c, h, w = manifest["model"]["shape"]
    return np.asarray(sample, dtype=np.float32).reshape(b, h, w, c).transpose(0, 3, 1, 2)


@pytest.mark.parametrize("batch", [1, 2])
def test_the_recorded_run_is_the_native_run(cdn_export, native, batch):
    got = replay_natively(cdn_export, f"{RUN}@{batch}", 3)
    assert np.abs(got - native[batch]).max() < 1e-6  # the same build and SQL: equal but for the order of sums
    assert np.abs(native[batch]).max() > 0.5  # a picture, not a blank


def test_export_refusals_lose_nothing(tmp_path, demo, small_model):
    kept = tmp_path / "mine"
    kept.mkdir()
    (kept / "notes.txt").write_text("mine")
    with pytest.raises(SQLDiffusionError, match="not an export-web folder"):
        export_web(kept, demo, run_recipes(demo))
    assert (kept / "notes.txt").read_text() == "mine" and len(list(kept.iterdir())) == 1
    with pytest.raises(SQLDiffusionError, match="1 to 4 images"):
        export_web(tmp_path / "a", demo, run_recipes(demo), max_batch=5)
    with pytest.raises(SQLDiffusionError, match="plain URL"):
        export_web(tmp_path / "b", demo, run_recipes(demo), duckdb_wasm="https://cdn.example/\"><script>")
    with pytest.raises(SQLDiffusionError, match="no @duckdb/duckdb-wasm there"):
        export_web(tmp_path / "c", demo, run_recipes(demo), duckdb_wasm=str(tmp_path))
    fake = tmp_path / "node_modules" / "@duckdb" / "duckdb-wasm"
    fake.mkdir(parents=True)
    (fake / "package.json").write_text('{"version": "1.0.0"}')
    with pytest.raises(SQLDiffusionError, match=f"made for {PINNED}"):
        export_web(tmp_path / "d", demo, run_recipes(demo), duckdb_wasm=str(fake / "dist"))
    assert not any((tmp_path / name).exists() for name in "abcd")


def test_a_class_conditional_model_is_refused_in_one_line(tmp_path):
    from conftest import SMALL, make_unet, save_unet

    folder = save_unet(make_unet({**SMALL, "num_class_embeds": 4}), tmp_path / "unet")
    with pytest.raises(SQLDiffusionError, match="class-conditional"):
        export_web(tmp_path / "site", load_model(folder), run_recipes(load_model(folder)))
    assert not (tmp_path / "site").exists()


def test_a_new_export_replaces_an_earlier_one(tmp_path, demo):
    out = tmp_path / "site"
    export_web(out, demo, run_recipes(demo), max_batch=1)
    (out / "stale.txt").write_text("from before")
    export_web(out, demo, run_recipes(demo), max_batch=1)
    assert not (out / "stale.txt").exists() and (out / "manifest.json").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["site"]  # no work folder left beside it


def test_the_command_line(tmp_path):
    out = tmp_path / "site"
    result = CliRunner().invoke(cli, ["export-web", str(out), "--sampler", "dpmpp-2m", "--karras", "--sampler", "ddim",
                                      "--steps", "6", "--steps", "8", "--blog", "--max-batch", "1"])
    assert result.exit_code == 0, result.output
    keys = [r["key"] for r in json.loads((out / "manifest.json").read_text())["recipes"]]
    assert keys == ["dpmpp-2m-karras/6", "dpmpp-2m-karras/8", "ddim/6", "ddim/8", "ddpm/blog"]
    result = CliRunner().invoke(cli, ["export-web", str(tmp_path / "x"), "--sampler", "ddim", "--karras"])
    assert result.exit_code != 0 and "none of the samplers given takes it" in str(result.exception)


# ---- DuckDB-WASM in Node --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def local_export(demo, tmp_path_factory):
    """The demo's run with DuckDB-WASM copied in from the local npm install."""
    out = tmp_path_factory.mktemp("web-local") / "site"
    export_web(out, demo, run_recipes(demo), duckdb_wasm=str(wasm_modules()), max_batch=2)
    return out


@pytest.mark.slow
def test_duckdb_wasm_in_node_draws_the_native_picture(local_export, native, tmp_path):
    if shutil.which("node") is None:
        pytest.skip("Node is not installed; the DuckDB-WASM replay needs it")
    out = tmp_path / "sample.f32"
    run = subprocess.run(["node", str(HERE / "node_run.mjs"), str(local_export), str(wasm_modules()),
                          f"{RUN}@2", "3", str(out)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    got = np.fromfile(out, dtype="<f4").reshape(native[2].shape)
    assert_close(got, native[2])


# ---- the page in Chromium -------------------------------------------------------------------------
class _Files(http.server.SimpleHTTPRequestHandler):
    """A static host; as a CDN (cdn=True) it serves node_modules as name@version/path, with CORS."""

    cdn = False

    def log_message(self, *args):
        pass

    def translate_path(self, path):
        if self.cdn:
            path = re.sub(r"^/(@duckdb/duckdb-wasm|apache-arrow|flatbuffers|tslib)@[^/]+/", r"/\1/", path)
        return super().translate_path(path)

    def end_headers(self):
        if self.cdn:
            self.send_header("Access-Control-Allow-Origin", "*")
        super().end_headers()


def serve(folder: Path, cdn: bool = False):
    handler = type("Handler", (_Files,), {"cdn": cdn})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


@pytest.fixture(scope="module")
def browser():
    from test_serve import chromium

    executable = chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield launched
        launched.close()


def open_page(browser, url: str, init_script: str | None = None, replace: dict | None = None):
    """A page at `url` on which every request that leaves 127.0.0.1 is refused and noted in
    page.outside; `replace` maps a file name to (status, body) served instead of the file."""
    page = browser.new_page(viewport={"width": 1200, "height": 1300})
    page.outside, page.errors = [], []
    page.on("pageerror", lambda e: page.errors.append(str(e)))

    def route(r):
        url_ = r.request.url
        name = url_.split("?")[0].rsplit("/", 1)[-1]
        if replace and name in replace:
            status, body = replace[name]
            r.fulfill(status=status, body=body)
        elif url_.startswith(("http://127.0.0.1:", "blob:", "data:", "file:")):
            r.continue_()
        else:
            page.outside.append(url_)
            r.abort()

    page.route("**/*", route)
    if init_script:
        page.add_init_script(init_script)
    page.goto(url)
    return page


def finished(page, timeout: float = 120_000) -> str:
    page.wait_for_selector("body[data-state=done], body[data-state=error], body[data-state=cancelled]",
                           state="attached", timeout=timeout)
    return page.get_attribute("body", "data-state")


def result_of(page) -> np.ndarray:
    result = page.evaluate("window.sqldiffusionResult")
    return np.asarray(result["data"], dtype=np.float32).reshape(result["shape"])


@pytest.mark.slow
def test_the_page_draws_the_native_picture_in_chromium(browser, local_export, native):
    server, url = serve(local_export)
    try:
        page = open_page(browser, url + "index.html?seed=3&autorun=1")
        page.evaluate("""() => { window.lit = new Set();
            new MutationObserver((records) => { for (const r of records)
                if (r.target.classList && r.target.classList.contains('active'))"""
            """ window.lit.add(r.target.dataset.name); })
            .observe(document.getElementById('diagram'),"""
            """ {attributes: true, subtree: true, attributeFilter: ['class']}); }""")
        assert finished(page) == "done", page.inner_text("#error")
        assert_close(result_of(page), native[1])
        assert page.outside == [] and page.errors == []
        blocks = len(json.loads((local_export / "network.json").read_text())["diagram"]["blocks"])
        assert page.locator(".block").count() == blocks == page.locator(".block.ran").count()  # every block ran
        lit = page.evaluate("[...window.lit]")
        assert {"conv_in", "mid_block", "conv_out"} <= set(lit)
        assert page.get_attribute("#prediction", "src").startswith("data:image/png;base64,")
        assert f"step {STEPS}/{STEPS}" in page.inner_text("#progress")
        page.click(".block[data-name='mid_block']")
        assert "CREATE TEMP TABLE" in page.inner_text("#block-sql") and "mid_block" in page.inner_text("#block-sql")
        # cancel a second run at once; a third draws the same picture again at 3 + 2**62 (the pipeline
        # takes seeds modulo 2**62)
        page.fill("#seed", "5")
        page.click("#generate")
        page.click("#cancel")
        assert finished(page) == "cancelled"
        page.fill("#seed", str(3 + 2 ** 62))
        page.click("#generate")
        assert finished(page) == "done"
        assert_close(result_of(page), native[1])
    finally:
        server.shutdown()


@pytest.mark.slow
def test_the_page_from_a_cdn(browser, demo, native, tmp_path):
    """DuckDB-WASM from another origin laid out as jsDelivr lays it out: the worker started from a
    same-origin blob, the page's Content-Security-Policy admitting that origin alone."""
    cdn, cdn_url = serve(wasm_modules(), cdn=True)
    out = tmp_path / "site"
    export_web(out, demo, run_recipes(demo), duckdb_wasm=cdn_url, max_batch=1)
    server, url = serve(out)
    try:
        page = open_page(browser, url + "index.html?seed=3&batch=1&autorun=1")
        assert finished(page) == "done", page.inner_text("#error")
        assert_close(result_of(page), native[1])
    finally:
        server.shutdown()
        cdn.shutdown()


@pytest.mark.slow
@pytest.mark.parametrize("trouble, line", [
    ({"weights.bin": (404, b"")}, "weights.bin is missing (HTTP 404): export the folder again"),
    ({"weights.bin": (200, b"\0" * 64)}, "weights.bin is corrupt"),
    ({"network.json": (200, b"{")}, "network.json is corrupt"),
    ("delete window.WebAssembly;", "this browser cannot run WebAssembly"),
    ("Object.defineProperty(Navigator.prototype, 'deviceMemory', {get: () => 0.25});",
     "a run of 1 image(s) needs about 0.5 GiB, more than this device has (0.25 GiB)"),
])
def test_the_page_says_what_is_wrong_in_one_line(browser, local_export, trouble, line):
    server, url = serve(local_export)
    try:
        script, replace = (trouble, None) if isinstance(trouble, str) else (None, trouble)
        page = open_page(browser, url + "index.html?seed=3&autorun=1", init_script=script, replace=replace)
        assert finished(page) == "error"
        message = page.inner_text("#error")
        assert message.startswith(line) and "\n" not in message
        assert page.outside == []
    finally:
        server.shutdown()


@pytest.mark.slow
@pytest.mark.parametrize("query, line", [
    ("seed=1%3B%20DROP%20TABLE%20x&autorun=1", "seed 1; DROP TABLE x is not a whole number from 0 to 2^63-1"),
    (f"seed={2 ** 63}&autorun=1", f"seed {2 ** 63} is not a whole number from 0 to 2^63-1"),
    ("seed=3&batch=9&autorun=1", "batch 9: this export makes 1 to 2 images at once"),
])
def test_hostile_url_parameters_reach_no_sql(browser, local_export, query, line):
    """The seed reaches SQL only as the digits of a checked whole number; anything else is one line."""
    server, url = serve(local_export)
    try:
        page = open_page(browser, url + "index.html?" + query)
        assert finished(page) == "error"
        assert page.inner_text("#error") == line
        assert page.evaluate("window.sqldiffusionResult === undefined")
    finally:
        server.shutdown()


@pytest.mark.slow
def test_a_page_opened_as_a_file_says_how_to_serve_it(browser, local_export):
    page = open_page(browser, (local_export / "index.html").as_uri())
    assert finished(page, 30_000) == "error"
    assert page.inner_text("#error").startswith("this page cannot run from a file:// URL: serve its folder over HTTP")
