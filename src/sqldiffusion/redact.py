"""Secrets kept out of messages: a DSN's password, in whichever form libpq takes it
(postgresql://user:password@host, ?password=..., password=... key/value pairs)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urlsplit

MASK = "***"
_KEY_VALUE = re.compile(r"(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]+)", re.IGNORECASE)
# userinfo runs to the last @ before the host: a password may hold an unescaped @
_USERINFO = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/?#@\s]*):([^/?#\s]*)@", re.IGNORECASE)


def passwords(dsn: str | None) -> list[str]:
    """The passwords a DSN holds, as written and as decoded."""
    if not dsn:
        return []
    found = [m.group(2).strip("'") for m in _KEY_VALUE.finditer(dsn)]
    for m in _USERINFO.finditer(dsn):  # libpq may read "a@b" as password a and host b@...: mask each part
        found += [m.group(2), *(part for part in m.group(2).split("@") if len(part) >= 3)]
    if "://" in dsn:
        try:
            found += parse_qs(urlsplit(dsn).query).get("password", [])
        except ValueError:
            pass
    return [p for p in {*found, *map(unquote, found)} if p]


def redact(text: str, dsn: str | None = None) -> str:
    """`text` with every password-looking part of a DSN masked, and the passwords of `dsn` too,
    wherever they appear."""
    for secret in sorted(passwords(dsn), key=len, reverse=True):
        text = text.replace(secret, MASK)
    text = _USERINFO.sub(lambda m: f"{m.group(1)}:{MASK}@", text)
    return _KEY_VALUE.sub(lambda m: m.group(1) + MASK, text)
