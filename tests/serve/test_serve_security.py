"""`sqldiffusion serve` as a foreign web page, a careless script or a broken gallery would meet it:
only its own names and origin get in, every number is bounded, one job cannot stop the others,
and a page elsewhere cannot start a job even in a real browser."""

from __future__ import annotations

import base64
import http.server
import json
import socket
import threading
import time

import pytest
from test_serve import chromium

from sqldiffusion.backends import get_engine
from sqldiffusion.serve.gallery import TABLE, Gallery
from sqldiffusion.serve.guard import MAX_BODY, allowed_names, host_name
from sqldiffusion.serve.jobs import MAX_QUEUED
from sqldiffusion.serve.server import serve_models

starlette_testclient = pytest.importorskip("starlette.testclient")
ORIGIN = "http://127.0.0.1:8000"
QUICK = {"schedule": "list", "timesteps": "0"}  # one pass of the demo model
LONG = {"schedule": "steps", "steps": 1000}


@pytest.fixture(scope="module")
def page():
    from sqldiffusion.serve.app import create_app

    engine = get_engine("duckdb")
    app = create_app(engine, serve_models(engine, []), allowed_names("127.0.0.1", ("studio.lan",)))
    with starlette_testclient.TestClient(app, base_url=ORIGIN) as client:
        yield client, app, engine
    engine.close()


def finish(app, response) -> dict:
    """Wait for the job a response started; its last event."""
    job = app.state.runner.jobs[response.json()["id"]]
    deadline = time.time() + 60
    while not job.finished and time.time() < deadline:
        time.sleep(0.05)
    return job.events[-1]


def test_host_names(page):
    client, _, _ = page
    for host in ("127.0.0.1:8000", "localhost:8000", "[::1]:8000", "LOCALHOST", "studio.lan:8000"):
        assert client.get("/api/state", headers={"Host": host}).status_code == 200, host
    for host in ("attacker.example", "attacker.example:8000", "127.0.0.1.nip.io", "", "localhost.evil:80"):
        response = client.get("/api/state", headers={"Host": host})
        assert response.status_code == 421 and "--allow-host" in response.json()["error"], host
    assert client.get("/api/gallery", headers={"Host": "rebound.example"}).status_code == 421
    assert host_name("[::1]:8000") == "[::1]" and host_name("Example.org:80") == "example.org"
    assert "0.0.0.0" not in allowed_names("0.0.0.0") and "10.0.0.5" in allowed_names("10.0.0.5")


def test_state_changes_take_json_from_the_page_or_no_page(page):
    client, app, _ = page
    before = len(app.state.runner.jobs)
    body = json.dumps(QUICK)
    refused = [
        dict(content=body, headers={"Content-Type": "text/plain"}),  # a form or a no-cors fetch
        dict(content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}),
        dict(content=body),
        dict(content=body, headers={"Content-Type": "application/json", "Origin": "http://evil.example"}),
        dict(content=body, headers={"Content-Type": "application/json", "Origin": "null"}),
        dict(content=body, headers={"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"}),
    ]
    for request in refused:
        response = client.post("/api/jobs", **request)
        assert response.status_code in (403, 415) and "error" in response.json(), request
    assert client.post("/api/jobs/nothing/cancel", content="{}",
                       headers={"Content-Type": "text/plain"}).status_code == 415
    assert len(app.state.runner.jobs) == before
    ok = client.post("/api/jobs", json=QUICK, headers={"Origin": ORIGIN})  # the page itself
    assert ok.status_code == 200 and finish(app, ok)["type"] == "done"
    script = client.post("/api/jobs", json=QUICK)  # a local script: no Origin
    assert script.status_code == 200 and finish(app, script)["type"] == "done"


@pytest.mark.parametrize("body, words", [
    ('{"seed": 1e20}', "seed"),
    ('{"seed": -1}', "seed"),
    ('{"seed": Infinity}', "JSON object of plain values"),
    ('{"seed": NaN}', "JSON object of plain values"),
    ('{"schedule": "steps", "steps": Infinity}', "JSON object of plain values"),
    ('{"schedule": "steps", "steps": 1e300}', "steps"),
    ('{"schedule": "steps", "steps": 1.5}', "steps"),
    ('{"batch": 1000}', "batch"),
    ('{"eta": "NaN", "sampler": "ddim"}', "eta"),
    ('{"seed": true}', "seed"),
    ('{"model": {"a": 1}}', "not served"),
    ('{"schedule": "list", "timesteps": [500, 0]}', "as text"),
    ("[" * 100_00 + "]" * 100_00, "JSON object"),
])
def test_bad_numbers_and_shapes_get_one_short_line(page, body, words):
    client, app, _ = page
    before = len(app.state.runner.jobs)
    response = client.post("/api/jobs", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    message = response.json()["error"]
    assert words in message and "\n" not in message and len(message) < 200, message
    assert len(app.state.runner.jobs) == before


def test_a_job_too_big_for_the_memory_is_refused_at_once(page):
    client, app, _ = page
    net = app.state.runner.models["demo"].net
    net.max_memory = 1 << 20
    try:
        response = client.post("/api/jobs", json={**QUICK, "batch": 16})
    finally:
        net.max_memory = None
    assert response.status_code == 400 and "would need about" in response.json()["error"]


def test_bodies_are_capped_and_never_echoed(page):
    client, _, _ = page
    huge = json.dumps({"model": "x" * (10 << 20)})
    response = client.post("/api/jobs", content=huge, headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and len(response.content) < 300
    # a chunked body (no Content-Length) is cut off as it arrives
    chunks = (b"x" * 8192 for _ in range(MAX_BODY // 8192 + 2))
    response = client.post("/api/jobs", content=chunks, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    long_model = json.dumps({"model": "m" * 30_000})
    response = client.post("/api/jobs", content=long_model, headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and len(response.content) < 300


def test_the_queue_has_a_limit(page):
    client, app, _ = page
    runner = app.state.runner
    first = client.post("/api/jobs", json=LONG).json()
    waiting = [client.post("/api/jobs", json=QUICK) for _ in range(MAX_QUEUED)]
    assert all(r.status_code == 200 for r in waiting)
    full = client.post("/api/jobs", json=QUICK)
    assert full.status_code == 503 and "already waiting" in full.json()["error"]
    for response in waiting:
        runner.cancel(runner.jobs[response.json()["id"]])
    runner.cancel(runner.jobs[first["id"]])
    assert finish(app, waiting[-1])["type"] == "cancelled"
    deadline = time.time() + 10
    while runner.running is not None and time.time() < deadline:
        time.sleep(0.05)
    again = client.post("/api/jobs", json=QUICK)
    assert again.status_code == 200 and finish(app, again)["type"] == "done"


def test_a_job_whose_gallery_write_fails_ends_failed_and_the_next_one_runs(page):
    client, app, engine = page
    while app.state.runner.running is not None:  # the engine is the runner's while it runs
        time.sleep(0.05)
    engine.execute_sql(f"DROP TABLE {TABLE}")  # the picture is made, then its INSERT fails for real
    try:
        failed = finish(app, client.post("/api/jobs", json=QUICK))
    finally:
        Gallery(engine)  # creates the table again
    assert failed["type"] == "failed" and TABLE in failed["message"]
    assert finish(app, client.post("/api/jobs", json=QUICK))["type"] == "done"


def test_the_gallery_skips_rows_it_cannot_read(tmp_path):
    engine = get_engine("duckdb", str(tmp_path / "gallery.duckdb"))
    try:
        gallery = Gallery(engine)
        png = base64.b64decode(
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg==")
        good = gallery.add(model="demo", digest="d", engine="duckdb", seed=1, sampler="ddpm", schedule="0", batch=1,
                           seconds=1.0, settings={"seed": 1}, png=png)
        for row_id, settings, picture in (("badjson", "{not json", base64.b64encode(png).decode()),
                                          ("badpng", "{}", "%%% not base64 %%%")):
            engine.execute_sql(f"INSERT INTO {TABLE} (id, created_at, settings, png_base64) VALUES (?, ?, ?, ?)",
                               [row_id, "2026-01-01", settings, picture])
        said: list[str] = []
        reopened = Gallery(engine, said.append)
        assert [e["id"] for e in reopened.entries()] == [good["id"]]
        assert len(said) == 1 and "2 picture(s)" in said[0] and "badjson" in said[0]
        assert reopened.png(good["id"]) == png
    finally:
        engine.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


ATTACK = """<!doctype html><body><form id="f" method="POST" enctype="text/plain" action="{api}/api/jobs">
<input name='{{"schedule": "list", "timesteps": "0", "x": "' value='"}}'></form><script>
(async () => {{
  const body = JSON.stringify({{schedule: "list", timesteps: "0"}});
  const tries = [
    fetch("{api}/api/jobs", {{method: "POST", mode: "no-cors", body}}).then(() => "sent", (e) => "blocked"),
    fetch("{api}/api/jobs", {{method: "POST", mode: "no-cors", body, headers: {{"Content-Type": "text/plain"}}}})
      .then(() => "sent", () => "blocked"),
    fetch("{api}/api/jobs", {{method: "POST", body, headers: {{"Content-Type": "application/json"}}}})
      .then(() => "sent", () => "blocked"),
    fetch("{api}/api/state").then((r) => r.text(), () => "blocked"),
  ];
  window.results = await Promise.all(tries);
  document.body.dataset.done = "1";
}})();
</script></body>"""


@pytest.mark.slow
def test_a_page_elsewhere_cannot_start_a_job_in_a_real_browser(tmp_path):
    import uvicorn
    from playwright.sync_api import sync_playwright

    from sqldiffusion.serve.app import create_app

    executable = chromium()
    engine = get_engine("duckdb")
    app = create_app(engine, serve_models(engine, []))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    (tmp_path / "attack.html").write_text(ATTACK.format(api=f"http://127.0.0.1:{port}"))
    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=str(tmp_path))  # noqa: E731
    site = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)  # another origin: another port
    threading.Thread(target=site.serve_forever, daemon=True).start()
    try:
        while not server.started:
            time.sleep(0.02)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
            tab = browser.new_page()
            tab.goto(f"http://127.0.0.1:{site.server_address[1]}/attack.html")
            tab.wait_for_selector("body[data-done='1']", timeout=30_000)
            results = tab.evaluate("window.results")
            tab.evaluate("document.getElementById('f').submit()")  # a plain form POST, text/plain
            tab.wait_for_load_state()
            browser.close()
        assert results[3] == "blocked"  # the state is not readable from another origin
        time.sleep(0.5)
        assert app.state.runner.jobs == {}, results
    finally:
        server.should_exit = True
        site.shutdown()
        time.sleep(0.5)
        engine.close()
