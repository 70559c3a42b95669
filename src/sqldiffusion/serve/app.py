"""The web server: the page, its JSON API and the event stream of each generation.

    GET  /                         the page (static/index.html)
    GET  /api/state                engine, models with their diagrams (a latent model's decoder's too), the samplers
                                   offered, defaults, the queue
    GET  /api/models/{i}/program   the SQL program of one pass of model i, as --show-sql prints it
                                   (?network=decoder: a latent model's decoder's; ?network=text_encoder: a
                                   text model's text encoder's)
    POST /api/jobs                 start a generation: {model, sampler, karras, eta, noise, schedule,
                                   steps, timesteps, seed, batch; a text model's prompt, negative_prompt
                                   (JSON strings) and guidance_scale} -> {id, place}; a bad setting -> 400
                                   {error}; a full queue -> 503 {error}
    GET  /api/jobs/{id}/events     Server-Sent Events: queued, started, statement, statement_done,
                                   step, done | cancelled | failed (each `data:` one JSON object; a
                                   statement's `network` is "unet", "decoder" or "text_encoder", a
                                   latent model's steps show previews of its latents)
    POST /api/jobs/{id}/cancel     cancel it (queued or running)
    GET  /api/gallery              finished pictures, newest first; /api/gallery/{id}.png one of them

Every request must name the server by a name it answers as (guard.py); every POST must be JSON
(`Content-Type: application/json`, the cancel's body `{}`) and come from the page's own origin or
from no page at all (a local script), with a body of at most `guard.MAX_BODY` bytes.
"""

from __future__ import annotations

import asyncio
import json
from contextlib import asynccontextmanager
from importlib.resources import files

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..diagram import decoder_diagram, diagram, text_encoder_diagram
from ..errors import SQLDiffusionError
from ..fields import shown
from ..pipeline import image_size
from ..recipe import BLOG_TIMESTEPS, DEFAULT_KARRAS, DEFAULT_SAMPLER, DEFAULT_STEPS
from ..text_pipeline import DEFAULT_GUIDANCE
from ..tokenizer import MAX_PROMPT_BYTES
from .gallery import Gallery
from .guard import LOOPBACK_NAMES, MAX_BODY, RequestGuard
from .jobs import MAX_BATCH, PAGE_SAMPLERS, QueueFull, Runner, Served, parse_settings

STATIC = files("sqldiffusion.serve") / "static"


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")
POLL = 0.05  # seconds between looks at a job's events while streaming them


def create_app(engine, models: dict[str, Served], names: frozenset[str] = frozenset(LOOPBACK_NAMES),
               say=lambda line: None) -> Starlette:
    """The application serving `models` (already imported into `engine`) to requests that name it
    by one of `names`. Closing the app's lifespan stops its runner; the caller closes the engine."""
    gallery = Gallery(engine, say)
    runner = Runner(engine, models, gallery)
    keys = list(models)
    diagrams = []
    for key, served in models.items():
        size = image_size(served.net.config)
        program, decoder, preview, text = served.program(), served.decoder(), served.preview(), served.text_program()
        diagrams.append({"key": key, "name": served.net.model.name, "digest": served.net.model.digest[:16],
                         "size": list(served.picture_size), "latent_size": list(size) if decoder else None,
                         "channels": served.net.config.in_channels, "diagram": diagram(served.net.config, program),
                         "decoder": decoder_diagram(served.vae.config, decoder) if decoder else None,
                         "decoder_class": served.vae.network.class_name if decoder else None,
                         "preview": preview.label if preview else None,
                         "text": text_encoder_diagram(served.text_encoder.config, text) if text else None,
                         "text_class": served.text_encoder.network.class_name if text else None})

    def error(message: str, status: int = 400) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status)

    async def json_body(request: Request):
        """The request's JSON value (numbers finite), or the response refusing it."""
        body = b""
        try:
            async for chunk in request.stream():
                body += chunk
                if len(body) > MAX_BODY:
                    return error(f"a request body is at most {MAX_BODY} bytes", 413)
        except ClientDisconnect:  # gone before its whole body: nobody to answer, nothing to log
            return error("the request ended before its body did")
        try:
            return json.loads(body, parse_constant=_no_constant)
        except (ValueError, RecursionError):
            return error("send the settings as a JSON object of plain values")

    def job_of(request: Request):
        return runner.jobs.get(request.path_params["job"])

    async def page(request: Request) -> Response:
        return FileResponse(str(STATIC / "index.html"), media_type="text/html")

    async def state(request: Request) -> Response:
        running, queued = runner.waiting()
        return JSONResponse({"engine": engine.name, "models": diagrams, "running": running, "queued": queued,
                             "samplers": list(PAGE_SAMPLERS.values()),
                             "defaults": {"model": keys[0], "sampler": DEFAULT_SAMPLER, "karras": DEFAULT_KARRAS,
                                          "eta": 0.0, "noise": True, "schedule": "steps", "steps": DEFAULT_STEPS,
                                          "timesteps": ",".join(map(str, BLOG_TIMESTEPS)), "seed": 0,
                                          "batch": 1, "max_batch": MAX_BATCH, "prompt": "", "negative_prompt": "",
                                          "guidance_scale": DEFAULT_GUIDANCE, "max_prompt_bytes": MAX_PROMPT_BYTES}})

    async def program_text(request: Request) -> Response:
        index = request.path_params["model"]
        if not 0 <= index < len(keys):
            return error(f"no model {index}", 404)
        served = models[keys[index]]
        network = request.query_params.get("network", "unet")
        programs = {"unet": served.program, "decoder": served.decoder, "text_encoder": served.text_program}
        has = [name for name in programs if name == "unet" or name == "decoder" and served.vae is not None
               or name == "text_encoder" and served.takes_text]
        if network not in has:
            return error(f"model {index} has no network {shown(network)} (it has: {', '.join(has)})", 404)
        return Response(programs[network]().text(), media_type="text/plain")

    async def submit(request: Request) -> Response:
        raw = await json_body(request)
        if isinstance(raw, Response):
            return raw
        try:
            settings = parse_settings(raw, models)
            job = runner.submit(settings)
        except QueueFull as e:
            return error(str(e), 503)
        except SQLDiffusionError as e:
            return error(str(e))
        return JSONResponse({"id": job.id, "place": runner.place(job)})

    async def cancel(request: Request) -> Response:
        job = job_of(request)
        if job is None:
            return error("no such job", 404)
        runner.cancel(job)
        return JSONResponse({"id": job.id, "state": job.state})

    async def events(request: Request) -> Response:
        job = job_of(request)
        if job is None:
            return error("no such job", 404)

        async def stream():
            seen = 0
            try:
                while True:
                    fresh = job.since(seen)
                    for event in fresh:
                        yield f"data: {json.dumps(event)}\n\n"
                    seen += len(fresh)
                    if job.finished and seen == len(job.events) or await request.is_disconnected():
                        return
                    await asyncio.sleep(POLL)
            finally:
                if job.state == "queued":  # the tab was closed: the job gives up its place
                    runner.cancel(job)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    async def listing(request: Request) -> Response:
        return JSONResponse(gallery.entries())

    async def picture(request: Request) -> Response:
        png = gallery.png(request.path_params["entry"])
        return Response(png, media_type="image/png") if png is not None else error("no such picture", 404)

    @asynccontextmanager
    async def lifespan(app):
        yield
        runner.stop()

    app = Starlette(middleware=[Middleware(RequestGuard, names=names)], routes=[
        Route("/", page),
        Route("/api/state", state),
        Route("/api/models/{model:int}/program", program_text),
        Route("/api/jobs", submit, methods=["POST"]),
        Route("/api/jobs/{job}/events", events),
        Route("/api/jobs/{job}/cancel", cancel, methods=["POST"]),
        Route("/api/gallery", listing),
        Route("/api/gallery/{entry}.png", picture),
        Mount("/static", StaticFiles(directory=str(STATIC)), name="static"),
    ], lifespan=lifespan)
    app.state.runner, app.state.gallery = runner, gallery
    return app
