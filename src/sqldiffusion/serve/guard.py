"""What the page's server admits: requests addressed to it by a name it answers as (so that a page
elsewhere cannot reach it through DNS rebinding), and state-changing requests that only its own
page or a local script can make (JSON, from no foreign origin). Every refusal is one JSON line."""

from __future__ import annotations

import json

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
MAX_BODY = 64 * 1024  # bytes of a request body: the page's settings are a few hundred
READS = ("GET", "HEAD")


def host_name(host: str) -> str:
    """The name part of a Host header ("[::1]:8000" -> "[::1]", "Example:80" -> "example")."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[:host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def allowed_names(listen_host: str, extra: tuple[str, ...] = ()) -> frozenset[str]:
    """Loopback names, the address the server listens on (unless it is every address), and `extra`."""
    names = {*LOOPBACK_NAMES, *(host_name(h) for h in extra)}
    if listen_host not in ("0.0.0.0", "::", ""):
        names.add(host_name(f"[{listen_host}]" if ":" in listen_host else listen_host))
    return frozenset(names)


class RequestGuard:
    """ASGI middleware: refuses a request before the application sees it (see the module's doc)."""

    def __init__(self, app, names: frozenset[str]) -> None:
        self.app, self.names = app, names

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            refusal = self.refusal(scope)
            if refusal is not None:
                status, message = refusal
                body = json.dumps({"error": message}).encode()
                await send({"type": "http.response.start", "status": status,
                            "headers": [(b"content-type", b"application/json"),
                                        (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)

    def refusal(self, scope) -> tuple[int, str] | None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "")
        if host_name(host) not in self.names:
            return 421, ("this server answers only as " + ", ".join(sorted(self.names)) +
                         "; give sqldiffusion serve --allow-host NAME to add a name")
        if scope["method"] in READS:
            return None
        if headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
            return 415, "send the request as JSON (Content-Type: application/json)"
        origin = headers.get("origin")
        if origin is not None and origin.lower() != f"http://{host}".lower():
            return 403, "requests from another page's origin are refused"
        if headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
            return 403, "requests from another site are refused"
        length = headers.get("content-length", "0")
        if not length.isdigit() or int(length) > MAX_BODY:
            return 413, f"a request body is at most {MAX_BODY} bytes"
        return None
