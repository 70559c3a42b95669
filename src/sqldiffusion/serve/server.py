"""Start the page: import the models into one engine, then serve them with uvicorn until stopped."""

from __future__ import annotations

import ipaddress
import socket
import threading
import webbrowser
from collections.abc import Callable, Sequence

from ..backends import get_engine
from ..errors import SQLDiffusionError
from ..model import load_model
from ..pipeline import autoencoder_of
from ..schedulers import scheduler_from_config
from ..sql_unet import SQLUNet
from ..text_pipeline import SQLStableDiffusionPipeline
from .guard import allowed_names
from .jobs import Served


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve_models(engine, keys: Sequence[str], say: Callable[[str], None] = lambda line: None,
                 max_memory: int | None = None) -> dict[str, Served]:
    """Each model (the ones asked for, then the demo) loaded and imported into `engine`, a latent
    model's autoencoder too, a text model's text encoder and tokenizer too; each run may use
    `max_memory` bytes (None: what the machine has available)."""
    models: dict[str, Served] = {}
    for key in dict.fromkeys([*keys, "demo"]):
        say(f"loading {key}")
        loaded = load_model(key)
        scheduler = scheduler_from_config(loaded.scheduler_config)
        if loaded.text_encoder is not None:
            pipe = SQLStableDiffusionPipeline.from_pretrained(loaded, engine, max_memory=max_memory)
            models[key] = Served(key, pipe.unet, scheduler, pipe.vae, pipe.text_encoder, pipe.tokenizer)
            continue
        net = SQLUNet(loaded, engine, max_memory=max_memory)
        models[key] = Served(key, net, scheduler, autoencoder_of(loaded, net))
    return models


def run(keys: Sequence[str], engine_name: str, database: str | None, host: str, port: int, open_page: bool,
        say: Callable[[str], None], allow_hosts: Sequence[str] = (), max_memory: int | None = None) -> None:
    try:
        import uvicorn

        from .app import create_app
    except ImportError as e:
        raise SQLDiffusionError(f"sqldiffusion serve needs {e.name}: pip install 'sqldiffusion' again "
                                "(it depends on starlette and uvicorn)") from None
    listening = listen(host, port)  # before the models load: a taken port is said at once
    engine = get_engine(engine_name, database)
    try:
        names = allowed_names(host, tuple(allow_hosts))
        app = create_app(engine, serve_models(engine, keys, say, max_memory), names, say)
        config = uvicorn.Config(app, log_level="warning", lifespan="on")
        server = uvicorn.Server(config)
        port = listening.getsockname()[1]
        url = f"http://{host if ':' not in host else f'[{host}]'}:{port}/"

        def announce() -> None:  # once the socket listens
            while not server.started and not server.should_exit:
                threading.Event().wait(0.05)
            if server.started:
                say(f"sqldiffusion is serving {len(app.state.runner.models)} model(s) on {engine.name} at {url}")
                if not is_loopback(host):
                    say(f"note: listening on {host}, not only on this machine: anyone who can reach it can run "
                        f"generations; it answers requests addressed to {', '.join(sorted(names))} "
                        "(--allow-host NAME adds one)")
                say("press Ctrl-C to stop")
                if open_page:
                    webbrowser.open(url)

        threading.Thread(target=announce, daemon=True).start()
        server.run(sockets=[listening])
    finally:
        listening.close()
        engine.close()


def listen(host: str, port: int) -> socket.socket:
    try:
        return socket.create_server((host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET)
    except OSError as e:
        raise SQLDiffusionError(f"cannot listen on {host}:{port} ({e.strerror or e}); give another --port or "
                                "--host") from None
