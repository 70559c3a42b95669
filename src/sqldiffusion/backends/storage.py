"""The storage base: how a backend holds tensors (its parameter tables, the uploads and fetches of
a run), one `Storage` per engine, bound to it (`backends/<name>/storage.py`)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

import numpy as np

from ..graph.ops import Layer

if TYPE_CHECKING:
    from .engine import Engine


class Storage(ABC):
    """How a backend holds tensors, bound to one engine: the parameter tables an import makes, and
    the uploads and fetches of a run. Each backend's storage.py defines one over its layout
    (docs/backends.md, "How tensors are laid out")."""

    def __init__(self, engine: "Engine") -> None:
        self.engine = engine

    @abstractmethod
    def store_layer(self, table: str, layer: Layer, tensors: dict[str, np.ndarray]) -> None:
        """Create the parameter table `table` of `layer` and fill it from the diffusers `tensors`."""

    @abstractmethod
    def put_image(self, name: str, image: np.ndarray) -> None:
        """Make the image relation `name` (which does not exist) from a float32 (B, C, H, W) array."""

    @abstractmethod
    def fetch_image(self, name: str, shape: tuple[int, int, int, int]) -> np.ndarray:
        """The image relation `name` as a float32 array of `shape` (B, C, H, W)."""

    @abstractmethod
    def fetch_vectors(self, name: str) -> np.ndarray:
        """A vector relation (b, ...) as a float32 (B, C) array, in batch order."""

    def check_import(self, namespace: str, layers: list[Layer]) -> tuple[str, str] | None:
        """The first stored parameter table of `layers` in `namespace` that is not as this layout
        makes it (missing, not a table, other columns; and where the engine's `check_values`, other
        rows or values), with what is wrong, or None: a database file or server another user wrote
        is checked against the graph before a run."""
        return None


class ConnectionStorage(Storage):
    """A Storage whose backend writes its layout as a module of functions taking the driver's
    connection first (`store_layer(con, table, layer, tensors)`, `put_image(con, name, image)`, ...):
    DuckDB, PostgreSQL and Hyper. Bound to the engine, it passes the engine's connection."""

    def __init__(self, engine: "Engine", module) -> None:
        super().__init__(engine)
        self.module = module

    def store_layer(self, table, layer, tensors) -> None:
        self.module.store_layer(self.engine.con, table, layer, tensors)

    def put_image(self, name, image) -> None:
        self.module.put_image(self.engine.con, name, image)

    def fetch_image(self, name, shape) -> np.ndarray:
        return self.module.fetch_image(self.engine.con, name, shape)

    def fetch_vectors(self, name) -> np.ndarray:
        return self.module.fetch_vectors(self.engine.con, name)

    def check_import(self, namespace, layers) -> tuple[str, str] | None:
        check = getattr(self.module, "check_import", None)
        if check is None:
            return None
        return check(self.engine.con, namespace, layers, self.engine.dialect.table, self.engine.check_values)

