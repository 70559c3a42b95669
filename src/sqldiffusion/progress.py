"""A one-line progress bar on stderr for the pipelines: step, timestep, elapsed and remaining time."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable


class ProgressBar:
    """Drawn when enabled; `chain(callback)` gives a step callback that advances the bar first."""

    width = 30

    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.enabled, self.began = max(total, 1), enabled, time.perf_counter()

    def __enter__(self) -> "ProgressBar":
        self.began = time.perf_counter()
        if self.enabled:
            self._draw(0, None)
        return self

    def advance(self, step) -> None:
        if self.enabled:
            self._draw(min(step.index + 1, self.total), step.timestep)

    def draw_count(self, done: int) -> None:
        """Advance to `done` items of the total (pictures rather than steps)."""
        if self.enabled:
            self._draw(min(done, self.total), None)

    def chain(self, callback: Callable | None) -> Callable:
        def on_step(step, peek) -> None:
            self.advance(step)
            if callback is not None:
                callback(step, peek)
        return on_step

    def _draw(self, done: int, timestep: float | None) -> None:
        elapsed = time.perf_counter() - self.began
        filled = self.width * done // self.total
        bar = "#" * filled + "-" * (self.width - filled)
        left = f"{elapsed / done * (self.total - done):.0f}s left" if done else "starting"
        t = f"t={timestep:g}" if timestep is not None else ""
        sys.stderr.write(f"\r[{bar}] {done}/{self.total} {t:7} {elapsed:.0f}s elapsed, {left}   ")
        sys.stderr.flush()

    def __exit__(self, *exc) -> None:
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()
