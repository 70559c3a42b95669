"""Finished pictures, kept in the database the run used: one row per picture with its settings.

The table lives beside the models, where the engine keeps it (`Engine.gallery_table`: DuckDB's
`sqldiffusion_gallery`, the running role's own schema on PostgreSQL), so it survives a restart
wherever the database does; on an engine with temporary tables only, or in a read-only file, it
lasts as long as the server. The page reads a copy kept in memory, so that listing the gallery never
waits for the engine while it generates; every change goes to the table first.
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from datetime import datetime, timezone

TABLE = "sqldiffusion_gallery"  # its name where an engine keeps it beside the models (DuckDB, Hyper)
COLUMNS = ("id", "created_at", "model", "digest", "engine", "seed", "sampler", "schedule", "batch", "seconds",
           "settings", "png_base64")
LISTED = COLUMNS[:-1]  # what the page lists; the picture is fetched by id


class Gallery:
    def __init__(self, engine, say=lambda line: None) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self.table = engine.gallery_table(
            "id TEXT NOT NULL, created_at TEXT NOT NULL, model TEXT, digest TEXT, engine TEXT, seed BIGINT, "
            "sampler TEXT, schedule TEXT, batch INTEGER, seconds DOUBLE PRECISION, "
            "settings TEXT, png_base64 TEXT NOT NULL")
        if engine.read_only:
            say(f"gallery: {engine.database} is read-only, so new pictures are kept for this run only")
        rows = engine.query(f"SELECT {', '.join(COLUMNS)} FROM {self.table} ORDER BY created_at DESC, id")
        entries = [dict(zip(COLUMNS, row)) for row in rows]
        self._entries = [e for e in entries if readable(e)]
        if len(self._entries) < len(entries):  # a damaged row is left in the table, unlisted
            bad = [str(e["id"])[:16] for e in entries if not readable(e)]
            say(f"gallery: {len(bad)} picture(s) in {self.table} "
                f"cannot be read and are not listed (id {', '.join(bad[:5])})")

    def add(self, *, model: str, digest: str, engine: str, seed: int, sampler: str, schedule: str, batch: int,
            seconds: float, settings: dict, png: bytes) -> dict:
        """Store a finished picture; returns its listing."""
        entry = {"id": uuid.uuid4().hex[:12],
                 "created_at": datetime.now(timezone.utc).isoformat(timespec="microseconds"),
                 "model": model, "digest": digest, "engine": engine, "seed": int(seed), "sampler": sampler,
                 "schedule": schedule, "batch": int(batch), "seconds": round(float(seconds), 3),
                 "settings": json.dumps(settings, sort_keys=True), "png_base64": base64.b64encode(png).decode()}
        marks = ", ".join([self.engine.placeholder] * len(COLUMNS))
        self.engine.execute_sql(f"INSERT INTO {self.table} ({', '.join(COLUMNS)}) VALUES ({marks})",
                                [entry[c] for c in COLUMNS])
        with self._lock:
            self._entries.insert(0, entry)
        return listing(entry)

    def entries(self) -> list[dict]:
        """Newest first, without the pictures."""
        with self._lock:
            return [listing(e) for e in self._entries]

    def png(self, entry_id: str) -> bytes | None:
        with self._lock:
            entry = next((e for e in self._entries if e["id"] == entry_id), None)
        return base64.b64decode(entry["png_base64"]) if entry else None


def readable(entry: dict) -> bool:
    """Whether a row can be listed and shown: its settings JSON and its picture base64 (a PNG)."""
    try:
        json.loads(entry["settings"] or "{}")
        return base64.b64decode(entry["png_base64"], validate=True).startswith(b"\x89PNG")
    except (ValueError, TypeError, RecursionError):
        return False


def listing(entry: dict) -> dict:
    shown = {k: entry[k] for k in LISTED}
    shown["settings"] = json.loads(entry["settings"] or "{}")
    return shown
