"""`sqldiffusion generate-many`: many pictures across a Spark cluster, each made whole in SQL.

Spark is the scheduler: the seeds are dealt into tasks, and each task runs the whole pipeline on
an engine of its own (an embedded one, such as DuckDB: the model imported once per executor's
Python worker and reused by every task it runs), the same SQL that `sqldiffusion generate --seed S`
runs, so any picture can be made again alone (a latent model's picture decoded by its autoencoder,
in SQL, in the same task). On a server engine (PostgreSQL) each task connects
to the server its target names (the model imported there once, by the driver, before the job;
every task its own session). On the session engine (Spark) the pictures run as Spark SQL on the
driver's session. Each backend says which it is (`TASKS` in its package: backends/options.py).

Results land as a Parquet dataset (seed, settings, model digest, engine, PNG bytes) under the output
folder, or in a table of the session's catalog, written by Spark's commit protocol:
a failed task is retried and written once, a job that
fails writes nothing, and a rerun skips the seeds already there.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from .backends import BACKENDS, backend_package, engine_class
from .errors import SQLDiffusionError
from .fields import shown
from .pictures import png_bytes
from .pipeline import MAX_SEED
from .recipe import Recipe

DATASET = "pictures.parquet"  # under the output folder
SCHEMA = "seed BIGINT, model STRING, digest STRING, engine STRING, settings STRING, png BINARY"


@dataclass(frozen=True)
class Work:
    """Everything that decides a picture but its seed: what `generate` takes."""

    model: str  # "demo", a folder every executor can read, or a Hub id
    recipe: Recipe  # the sampler and its plan

    def settings(self) -> str:
        """The settings each picture's row carries, as JSON."""
        return json.dumps({"model": self.model, **asdict(self.recipe)}, sort_keys=True)


# A run makes at most this many pictures (each a whole sampling run in SQL: weeks of work for a
# million); a bigger job is several runs, each of which skips the seeds already made.
MAX_SEEDS = 1_000_000


def parse_seeds(text: str) -> list[int]:
    """'0-9999', '3,5,8' or '0-3,10': each seed once, ascending. The ranges are merged and counted
    before any list is made, so that '0-100000000' is refused at once rather than built."""
    merged: list[list[int]] = []
    for first, last in sorted(_seed_range(part, text) for part in text.split(",")):
        if merged and first <= merged[-1][1] + 1:  # overlapping or adjacent: one range
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    count = sum(last - first + 1 for first, last in merged)
    if count > MAX_SEEDS:
        raise SQLDiffusionError(f"--seeds {shown(text)} names {count:,} seeds, more than the {MAX_SEEDS:,} a run may "
                                f"make; run it in parts (0-{MAX_SEEDS - 1}, then {MAX_SEEDS}-...): each run skips "
                                "the seeds already made")
    return [seed for first, last in merged for seed in range(first, last + 1)]


def _seed_range(part: str, text: str) -> tuple[int, int]:
    """(first, last) of one part of --seeds: a number or a range, each seed from 0 to MAX_SEED."""
    match = re.fullmatch(r"(\d{1,19})(?:\s*-\s*(\d{1,19}))?", part.strip())  # 19 digits: int() stays quick
    if not match:
        raise SQLDiffusionError(f"--seeds {shown(text)}: give ranges and numbers from 0 to {MAX_SEED}, such as "
                                "0-9999 or 1,5,9")
    first, last = int(match.group(1)), int(match.group(2) or match.group(1))
    if last > MAX_SEED:
        raise SQLDiffusionError(f"--seeds {part.strip()}: a seed is at most {MAX_SEED}")
    if last < first:
        raise SQLDiffusionError(f"--seeds {part.strip()}: the range runs backwards")
    return first, last


# the engines the tasks can run on, each with how (its package's TASKS): "embedded", "server" or
# "session"; the first embedded one is the default
ENGINES = {name: how for name in BACKENDS if (how := getattr(backend_package(name), "TASKS", None))}
DEFAULT_ENGINE = next(name for name, how in ENGINES.items() if how == "embedded")
SESSION_ENGINE = next((name for name, how in ENGINES.items() if how == "session"), None)


def check_engine(engine: str, database) -> None:
    """One line, before Spark starts, for an engine the tasks cannot run on, or a server engine
    whose server is not named."""
    if engine not in ENGINES:
        names = list(ENGINES)
        raise SQLDiffusionError(f"engine {engine!r}: generate-many runs on {', '.join(names[:-1])} or {names[-1]}")
    if ENGINES[engine] == "server" and database is None:
        raise SQLDiffusionError(f"--engine {engine} needs {server_flags(engine)} (the server every task connects to)")


def server_flags(engine: str) -> str:
    """The options that name a server engine's server, as the command line spells them."""
    return " or ".join(option.flag for option in backend_package(engine).OPTIONS)


_NETS: dict = {}  # per Python worker: (model, engine, database) -> SQLUNet, so an executor imports a model once


def _net(model: str, engine: str = DEFAULT_ENGINE, database=None):
    from .sql_unet import SQLUNet

    key = (model, engine, database)
    if key not in _NETS:
        _NETS[key] = SQLUNet(model, engine, database)
    return _NETS[key]


_VAES: dict = {}  # per Python worker, beside _NETS: SQLUNet -> its latent model's SQLAutoencoder (or None)


def _autoencoder(net):
    """The autoencoder of `net`'s latent model, imported into its engine once (None: a pixel model)."""
    from .pipeline import autoencoder_of

    if net not in _VAES:
        _VAES[net] = autoencoder_of(net.model, net)
    return _VAES[net]


def make_pictures(work: Work, seeds, net=None):
    """(seed, model, digest, engine, settings, png) for each seed: `generate --seed S`, batch 1 (a
    latent model's picture decoded in SQL, as generate decodes it)."""
    from .pipeline import SQLDiffusionPipeline

    net = net or _net(work.model)
    pipe = SQLDiffusionPipeline(net, work.recipe.planned(net.model.scheduler_config), _autoencoder(net))
    pipe.set_progress_bar_config(disable=True)
    settings = work.settings()
    for seed in seeds:
        pictures = pipe(**work.recipe.call_arguments(), seed=int(seed), output_type="array").images
        yield (int(seed), work.model, net.model.digest, net.engine.name, settings, png_bytes(pictures))


def _task(work: Work, engine: str = DEFAULT_ENGINE, database=None):
    """The function each Spark task runs over its seeds (executed in the executors' Python workers)."""
    def run(seeds):
        yield from make_pictures(work, list(seeds), _net(work.model, engine, database))
    return run


class Store:
    """Where the pictures go: a Parquet dataset in a folder, or a table of the session's catalog."""

    def __init__(self, spark, folder: Path | None = None, table: str | None = None) -> None:
        if (folder is None) == (table is None):
            raise SQLDiffusionError("give an output folder or a table, one of them")
        if table is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?", table):
            raise SQLDiffusionError(f"--table {shown(table)}: give a table name such as pictures or mydb.pictures")
        self.spark, self.folder, self.table = spark, folder, table
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)

    def frame(self):
        if self.table is not None:
            return self.spark.table(self.table) if self.spark.catalog.tableExists(self.table) else None
        dataset = self.folder / DATASET
        return self.spark.read.parquet(str(dataset)) if dataset.exists() else None

    def seeds(self) -> set[int]:
        frame = self.frame()
        return set() if frame is None else {row[0] for row in frame.select("seed").distinct().collect()}

    def append(self, frame) -> None:
        writer = frame.write.mode("append")
        if self.table is not None:
            writer.format("parquet").saveAsTable(self.table)
        else:
            writer.parquet(str(self.folder / DATASET))


def generate_many(spark, work: Work, seeds: list[int], output: Path | None = None, engine: str = DEFAULT_ENGINE,
                  per_task: int = 1, png_folder: Path | None = None,
                  progress: Callable[[int, int], None] | None = None, table: str | None = None,
                  database=None) -> tuple[int, int]:
    """Make the pictures of `seeds` not yet in the output folder (or `table`); returns (made, skipped).
    `png_folder`: also one PNG per seed there. `engine` (one of ENGINES) and `database`, its
    target: an embedded engine in every task, the server `database` names from every task, or the
    session engine on `spark` itself (`database` its target, or None)."""
    check_engine(engine, database)
    store = Store(spark, output, table)
    done = store.seeds()
    todo = [s for s in seeds if s not in done]
    if todo:
        on_session = ENGINES[engine] == "session"
        if on_session:
            rows = list(_on_session(spark, work, todo, progress, engine, database))
            frame = spark.createDataFrame(rows, SCHEMA)
        else:
            if ENGINES[engine] == "server":
                _import_once(work.model, engine, database)
            slices = [todo[i:i + per_task] for i in range(0, len(todo), per_task)]
            rdd = spark.sparkContext.parallelize(slices, len(slices)).flatMap(lambda s: s, preservesPartitioning=True)
            frame = spark.createDataFrame(rdd.mapPartitions(_task(work, engine, database)), SCHEMA)
        _with_progress(spark, lambda: store.append(frame), len(todo), per_task, None if on_session else progress)
    if png_folder is not None:
        write_pngs(store.frame(), png_folder)
    return len(todo), len(seeds) - len(todo)


def _import_once(model: str, engine: str, database) -> None:
    """The weights into the server before the job, so that its tasks only read them (and an
    unreachable server is one line here, not a failed job)."""
    from .sql_unet import SQLUNet

    net = SQLUNet(model, engine, database)
    try:
        _autoencoder(net)  # a latent model's autoencoder as well
    finally:
        _VAES.pop(net, None)
        net.engine.close()


def _on_session(spark, work: Work, seeds: list[int], progress, name: str, target):
    """The pictures as SQL on the driver's session itself, one after another."""
    from .sql_unet import SQLUNet

    target = backend_package(name).target() if target is None else target
    engine = engine_class(name)(replace(target, session=spark))
    net = None
    try:
        net = SQLUNet(work.model, engine)
        for i, row in enumerate(make_pictures(work, seeds, net)):
            yield row
            if progress:
                progress(i + 1, len(seeds))
    finally:
        _VAES.pop(net, None)  # this engine's: closed now
        engine.close()


def _with_progress(spark, action: Callable[[], None], total: int, per_task: int, progress) -> None:
    """Run `action` (one Spark job) while a thread counts its finished tasks into `progress`."""
    if progress is None:
        action()
        return
    stop = threading.Event()

    def watch() -> None:
        tracker = spark.sparkContext.statusTracker()
        seen = 0
        while not stop.wait(0.5):
            finished = 0
            for stage in tracker.getActiveStageIds():
                info = tracker.getStageInfo(stage)
                if info is not None and info.numTasks > 1:
                    finished = max(finished, info.numCompletedTasks)
            if finished > seen:
                seen = finished
                progress(min(seen * per_task, total), total)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        action()
    finally:
        stop.set()
        thread.join()
    progress(total, total)


def write_pngs(frame, folder: Path) -> None:
    """One PNG per seed (seed-000042.png), for those not written yet."""
    folder.mkdir(parents=True, exist_ok=True)
    for row in frame.select("seed", "png").toLocalIterator():
        path = folder / f"seed-{row[0]:06d}.png"
        if not path.exists():
            partial = path.with_suffix(".tmp")
            partial.write_bytes(bytes(row[1]))
            partial.replace(path)
