"""Apache Spark: a SparkSession (local[*] by default, or any master), each statement `spark.sql`.

Every relation is a temporary view of the session whose lineage was cut when it was made: on a
local master its rows are held in the driver (which is also the executor) as a local relation; on
a cluster they are Parquet files the statement wrote. Without cutting the lineage, each statement
would be planned together with every statement before it (measured: 14 statements took 3 s each
to plan, 40 did not finish in 7 minutes). `localCheckpoint` cuts it too, but carries the size
estimates of the plan it came from into the next: with the cross joins of a UNet they multiplied
from statement to statement until planning ran out of memory (the 53rd statement of a small model
took 22 s). Parquet files and local relations have their true size. Writing and reading back
Parquet costs 0.5-0.8 s per statement, a local relation 0.1 s. A model's weights are imported into
each session, like Hyper's.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
import threading
import weakref
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ...errors import SQLDiffusionError, first_line
from ..engine import Engine, SessionWeights
from . import storage
from .dialect import SparkDialect

IMPORT_THREADS = 4
# Settings every session gets unless the user gives their own (measured on Spark 4.3):
DEFAULT_CONF = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    # CollapseProject copies expressions into lambda bodies: an attention statement ran 15 minutes
    # instead of 0.4 s
    "spark.sql.optimizer.excludedRules": "org.apache.spark.sql.catalyst.optimizer.CollapseProject",
    "spark.sql.shuffle.partitions": str(os.cpu_count() or 2),  # these relations are small: one task per core
    # a window over (b, y) must not reuse a partitioning by b alone: at batch 1 that is one task
    "spark.sql.requireAllClusterKeysForDistribution": "true",
    "spark.sql.adaptive.enabled": "true",
    # whole-stage code generation gains nothing on these statements (their work is in lambdas and
    # vector_inner_product, which it calls as they are) and costs: a demo pass 30.6 -> 24.5 s, a
    # 64x64 128 -> 128 convolution at batch 4 12-17 -> 7-10 s without it
    "spark.sql.codegen.wholeStage": "false",
    "spark.driver.memory": "4g",
}


@dataclass(frozen=True)
class SparkTarget:
    """Where a Spark engine runs: a master URL and extra settings, or a session already made."""

    master: str | None = None
    conf: dict = field(default_factory=dict)
    session: object = None
    scratch: str | None = None  # where relations are written (default: a temporary folder)
    warehouse: str | None = None  # where imported weights are kept and found again by later runs


COMPLETE = "_IMPORTED"  # written last into a model's warehouse folder


def _file_name(layer: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", layer) + ".parquet"


def _raw(name: str) -> str:
    """A view's name as the catalog knows it: without the backquotes SQL needs around a dotted name."""
    return name[1:-1].replace("``", "`") if name.startswith("`") else name


def _local_master(spark) -> bool:
    master = spark.sparkContext.master
    return master == "local" or master.startswith("local[")


def _held_in_driver(spark, frame):
    """`frame` computed now, its rows collected (as Spark's compact internal rows) into a local
    relation: lineage cut, true size known, no files. Uses Spark's JVM classes directly (Spark 4's
    `LocalRelation` and classic `Dataset.ofRows`): no public API makes a relation of internal rows."""
    from pyspark.sql import DataFrame

    jvm, execution = spark._jvm, frame._jdf.queryExecution()
    rows = jvm.scala.collection.immutable.ArraySeq.unsafeWrapArray(execution.executedPlan().executeCollect())
    relation = jvm.org.apache.spark.sql.catalyst.plans.logical.LocalRelation(
        execution.analyzed().output(), rows, False, jvm.scala.Option.empty())
    return DataFrame(jvm.org.apache.spark.sql.classic.Dataset.ofRows(spark._jsparkSession, relation), spark)


def _local_relations_work(spark) -> bool:
    """Whether this session can hold relations in the driver (a classic session of a Spark whose
    internals are as `_held_in_driver` expects); if not, relations go to Parquet."""
    try:
        return _held_in_driver(spark, spark.sql("SELECT 1 AS one")).collect()[0][0] == 1
    except Exception:  # noqa: BLE001 - Spark Connect, other internals: Parquet works everywhere
        return False


def open_session(target: SparkTarget):
    """The target's session: the one given, or a new one with DEFAULT_CONF under the user's settings."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise SQLDiffusionError("the spark engine needs pyspark 4.2 or newer: pip install 'sqldiffusion[spark]' "
                                "(and Java 17, e.g. apt-get install openjdk-17-jre-headless)") from None
    if target.session is not None:  # the caller's: only what the SQL needs to plan in reasonable time
        target.session.conf.set("spark.sql.optimizer.excludedRules", DEFAULT_CONF["spark.sql.optimizer.excludedRules"])
        return target.session
    # executors run this interpreter (and so this installation of sqldiffusion) unless told otherwise
    python = os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName("sqldiffusion").master(target.master or "local[*]") \
        .config("spark.pyspark.python", python).config("spark.executorEnv.PYSPARK_PYTHON", python)
    for key, value in {**DEFAULT_CONF, **target.conf}.items():
        builder = builder.config(key, value)
    try:
        spark = builder.getOrCreate()
    except Exception as e:  # noqa: BLE001 - no Java, a bad master URL: the JVM's own words
        raise SQLDiffusionError(f"cannot start Spark ({first_line(e)}); it needs Java 17 "
                                "(apt-get install openjdk-17-jre-headless) or JAVA_HOME set") from None
    spark.sparkContext.setLogLevel(os.environ.get("SQLDIFFUSION_SPARK_LOG", "FATAL"))
    return spark


class SparkEngine(SessionWeights, Engine):
    name = "spark"
    durable = False  # relations are views of the session
    why_not_durable = "a Spark session's relations are its own"

    @classmethod
    def describe(cls, database=None) -> str:
        return f"Spark ({getattr(database, 'master', None) or 'local[*]'})"

    def __init__(self, database: SparkTarget | str | None = None) -> None:
        target = database if isinstance(database, SparkTarget) else SparkTarget(master=database)
        self._owned = target.session is None
        self.spark = open_session(target)
        version = tuple(int(p) for p in self.spark.version.split(".")[:2])
        if version < (4, 2):
            raise SQLDiffusionError(f"the spark engine needs Spark 4.2 or newer (vector_inner_product); "
                                    f"this is {self.spark.version}")
        self.dialect = SparkDialect()
        self.storage = storage.SparkStorage(self)
        self._frames: dict[str, tuple] = {}  # view name -> (its DataFrame, its scratch Parquet folder or None)
        self.warehouse = target.warehouse
        self._made = 0
        self._lock = threading.Lock()  # imports write layers from several threads
        # the Parquet files of the session's relations: a folder of this machine (local masters;
        # a cluster needs a folder every executor sees: --spark-conf spark.local.dir or a shared path)
        self.scratch = target.scratch or tempfile.mkdtemp(prefix="sqldiffusion-spark-")
        self._cleanup = weakref.finalize(self, shutil.rmtree, self.scratch, True)
        self._imported: set[str] = set()
        self.database = None
        self._in_driver = _local_master(self.spark) and _local_relations_work(self.spark)

    def close(self) -> None:
        for name in list(self._frames):
            self._forget(name)
        self._cleanup()
        if self._owned:
            self.spark.stop()

    def interrupt(self) -> None:
        self.spark.sparkContext.cancelAllJobs()

    def execute_sql(self, sql: str, params: Sequence = ()) -> None:
        self.spark.sql(sql, args=list(params)) if params else self.spark.sql(sql)

    def query(self, sql: str, params: Sequence = ()) -> list[tuple]:
        frame = self.spark.sql(sql, args=list(params)) if params else self.spark.sql(sql)
        return [tuple(row) for row in frame.collect()]

    @contextmanager
    def transaction(self):
        # Spark has no transactions: an import that fails drops the views it made (importing)
        yield

    # ---- relations: temporary views, their lineage cut ------------------------------------------
    def materialise(self, name: str, frame, path: str | None = None) -> None:
        """`frame` computed now and held as the view `name`: its lineage cut, its size known (so that
        joins broadcast the small side). Held in the driver on a local master; else written as
        Parquet into the session's scratch folder and read back. `path`: a lasting place for its
        Parquet files (a warehouse; the files stay when the view goes). `frame` None: the files at
        `path` as they are."""
        scratch = None  # files of this view alone, removed with it
        if path is None and self._in_driver:
            stored = _held_in_driver(self.spark, frame)
        else:
            if path is None:
                with self._lock:
                    self._made += 1
                    scratch = path = os.path.join(self.scratch, f"r{self._made}")
            if frame is not None:
                frame.write.mode("overwrite").parquet(path)
            stored = self.spark.read.parquet(path)
        with self._lock:
            self._forget(name)
            stored.createOrReplaceTempView(name)
            self._frames[name] = (stored, scratch)

    def create(self, name: str, select: str) -> None:
        self.materialise(name, self.spark.sql(select))

    def drop(self, *names: str) -> None:
        for name in names:
            self._forget(name)

    def rename(self, old: str, new: str) -> None:
        held = self._frames.pop(old, None)
        if held is None:
            raise SQLDiffusionError(f"no relation {old} to rename")
        self._forget(new)
        self.spark.catalog.dropTempView(_raw(old))
        held[0].createOrReplaceTempView(new)
        self._frames[new] = held

    def _forget(self, name: str) -> None:
        held = self._frames.pop(name, None)
        self.spark.catalog.dropTempView(_raw(name))
        if held is not None and held[1] is not None:
            shutil.rmtree(held[1], ignore_errors=True)

    # ---- weights: views of this session --------------------------------------------------------

    def found_import(self, model, namespace: str, layers) -> bool:
        """An import a run before this one kept in the warehouse: its Parquet files taken as they are."""
        folder = self._warehouse_folder(namespace)
        if folder is None or not (folder / COMPLETE).exists():
            return False
        for layer in layers:
            self.materialise(self.dialect.table(namespace, layer.name), None, str(folder / _file_name(layer.name)))
        self._imported.add(namespace)
        return True

    @contextmanager
    def importing(self, model, namespace: str, layers):
        """As any session's (the views made dropped on failure); in a warehouse, its folder removed
        on failure and marked complete, last, on success."""
        folder = self._warehouse_folder(namespace)
        try:
            with super().importing(model, namespace, layers) as needed:
                yield needed
        except BaseException:
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
            raise
        if folder is not None:
            (folder / COMPLETE).write_text(model.name + "\n")  # last: a folder without it is not an import

    def store_layers(self, namespace: str, layers, tensors, on_layer=None) -> None:
        """Each layer is a small Spark job of its own: several at once keep the cores busy."""
        with ThreadPoolExecutor(IMPORT_THREADS) as pool:
            for i, _ in enumerate(pool.map(lambda layer: self.store_layer(namespace, layer, tensors), layers)):
                if on_layer:
                    on_layer(i + 1, len(layers))

    def store_layer(self, namespace: str, layer, tensors) -> None:
        folder = self._warehouse_folder(namespace)
        path = str(folder / _file_name(layer.name)) if folder is not None else None
        self.storage.store_layer(self.dialect.table(namespace, layer.name), layer, tensors, path)

    def _warehouse_folder(self, namespace: str) -> Path | None:
        return Path(self.warehouse) / namespace if self.warehouse else None
