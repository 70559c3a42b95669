"""Apache Spark: the network as Spark SQL (`--engine spark`)."""

from ...errors import SQLDiffusionError
from ..options import Option

OPTIONS = (
    Option("--master", "Spark master URL [default: local[*]].", metavar="URL"),
    Option("--spark-conf", "A Spark setting (repeatable), e.g. spark.executor.memory=4g.", takes="pairs",
           metavar="KEY=VALUE"),
    Option("--warehouse", "Spark: a folder where imported weights are kept for later runs.",
           takes="folder", metavar="FOLDER"),
)
TASKS = "session"  # generate-many: the pictures run as Spark SQL on its own session
SESSION_OPTIONS = ("--master", "--spark-conf")  # they start generate-many's session, whatever its tasks run on
TESTS = "statements"  # a whole picture takes it minutes: the tests run it a few statements at a time


def target(master: str | None = None, spark_conf: tuple[str, ...] = (), warehouse: str | None = None):
    from .engine import SparkTarget

    conf = {}
    for setting in spark_conf:
        key, sep, value = setting.partition("=")
        if not sep or not key.strip():
            raise SQLDiffusionError(f"--spark-conf {setting!r}: give KEY=VALUE, e.g. spark.executor.memory=4g")
        conf[key.strip()] = value.strip()
    return SparkTarget(master=master, conf=conf, warehouse=warehouse)


def open_session(target):
    """The target's Spark session: the one it holds, or a new one (pyspark loaded only now)."""
    from .engine import open_session as opened

    return opened(target)
