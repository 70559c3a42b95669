"""An engine that records the statements a run would execute instead of running them.

The exporters run the pipeline against a recording engine as they would against a real one (the
same dialect, import, program and loop), so what they write out is what a native run executes:
PostgreSQL's psql script writer (`postgres/script.py`) and DuckDB's recorder for a page
(`duckdb/record.py`). A recording has no connection: it binds no parameters, keeps no registry,
and nothing comes back from it, neither rows nor pictures.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from contextlib import contextmanager, nullcontext

from ..errors import SQLDiffusionError
from .engine import Engine


class RecordingEngine(Engine):
    """An Engine whose statements are handed to `record` instead of executed. `recording` names
    what it makes, for the one-line refusals of what a recording cannot do."""

    recording: str = "a recording"

    def __init__(self) -> None:  # no connection
        pass

    @abstractmethod
    def record(self, sql: str) -> None:
        """Keep one statement, in the order the run would execute it."""

    def execute_sql(self, sql: str, params: Sequence = ()) -> None:
        if params:
            raise SQLDiffusionError(f"{self.recording} binds no parameters")
        self.record(sql)

    def close(self) -> None:
        pass

    def interrupt(self) -> None:
        pass

    def transaction(self):
        return nullcontext()

    def registry_exists(self) -> bool:
        return False

    def namespace_exists(self, namespace: str) -> bool:
        return False

    @contextmanager
    def importing(self, model, namespace, layers):
        yield True  # no registry and no transaction: what replays the recording creates the tables itself

    def query(self, sql: str, params: Sequence = ()) -> list[tuple]:
        raise SQLDiffusionError(f"{self.recording} cannot hand rows back")

    def put_image(self, name, image) -> None:
        raise SQLDiffusionError(f"{self.recording} makes its own noise; it cannot start from a given tensor")

    def fetch_image(self, name, shape):
        raise SQLDiffusionError(f"{self.recording} cannot hand images back")

    def fetch_vectors(self, name):
        raise SQLDiffusionError(f"{self.recording} cannot hand vectors back")
