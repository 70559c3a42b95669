"""A DuckDB `--db` file from someone else: what it can plant (macros named as built-ins, registry rows
naming other schemas, damaged or altered weights, a gallery that is a view) gets one line and
changes nothing; a file that is not a regular one, or that cannot grow, too."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from test_faults import FAST, one_line, run

from sqldiffusion.backends import get_engine
from sqldiffusion.backends.duckdb.engine import LOCKED_DOWN
from sqldiffusion.graph import unet_layers
from sqldiffusion.model import load_model
from sqldiffusion.serve.gallery import Gallery


@pytest.fixture
def imported(tmp_path, small_model):
    """A DuckDB file holding the small model: (file, model folder, its namespace, its layers)."""
    _, folder = small_model
    db = tmp_path / "shared.duckdb"
    engine = get_engine("duckdb", str(db))
    try:
        layers = engine.dialect.stored_layers(unet_layers(load_model(folder).config))
        namespace = engine.import_model(load_model(folder), layers)
    finally:
        engine.close()
    return db, folder, namespace, layers


def _open(db: Path) -> duckdb.DuckDBPyConnection:
    """The file as the CLI's runs in this process open it (DuckDB shares one instance per file and
    configuration while any connection to it lives)."""
    return duckdb.connect(str(db), config=LOCKED_DOWN)


def _nobody() -> int:
    import pwd

    return pwd.getpwnam("nobody").pw_uid


def _doctor(db: Path, *statements: str) -> None:
    con = _open(db)
    try:
        for statement in statements:
            con.execute(statement)
    finally:
        con.close()


@pytest.mark.parametrize("macro", ["list_dot_product(a, b) AS 7.0", "sqrt(x) AS 42"])
def test_a_file_whose_macros_shadow_built_ins_is_refused(imported, tmp_path, macro):
    db, folder, _, _ = imported
    _doctor(db, f"CREATE MACRO {macro}")
    message = one_line(run("generate", "--model", folder, "--db", db, "--out", tmp_path / "p.png", *FAST))
    assert "named as DuckDB's own" in message and macro.split("(")[0] in message
    assert not (tmp_path / "p.png").exists()


def test_a_registry_row_naming_another_schema_drops_nothing(tmp_path, small_model):
    """A row for the small model's digest naming the demo's schema, as if an older import of it."""
    _, folder = small_model
    db = tmp_path / "shared.duckdb"
    assert run("import", "--model", "demo", "--db", db).exit_code == 0
    con = _open(db)
    demo_schema = con.execute("SELECT schema_name FROM sqldiffusion_models").fetchone()[0]
    tables = con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = ?", [demo_schema]).fetchone()[0]
    con.execute("INSERT INTO sqldiffusion_models (digest, schema_name) VALUES (?, ?)",
                [load_model(folder).digest, demo_schema])
    con.close()
    assert run("generate", "--model", folder, "--db", db, "--out", tmp_path / "p.png", *FAST).exit_code == 0
    con = _open(db)
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = ?",
                       [demo_schema]).fetchone()[0] == tables
    con.close()
    assert run("generate", "--model", "demo", "--db", db, "--out", tmp_path / "q.png", *FAST).exit_code == 0


@pytest.mark.parametrize("damage, words", [
    ("DROP TABLE {t}", "is missing"),
    ("DROP TABLE {t}; CREATE TABLE {t} (m FLOAT[][])", "does not hold one row"),
    ("UPDATE {t} SET m = m[2:]", "does not hold one row"),
    ("UPDATE {t} SET m = list_transform(m, lambda r: list_transform(r, lambda v: v * 'nan'::FLOAT))", "all finite"),
    ("UPDATE {t} SET m = list_transform(m, lambda r: list_transform(r, lambda v: NULL::FLOAT))", "all finite"),
    ("DROP TABLE {t}; CREATE VIEW {t} AS SELECT [[1.0]]::FLOAT[][] AS m", "is missing (or is not a table)"),
    ("ALTER TABLE {t} ADD COLUMN extra INTEGER", "has columns extra INTEGER the layout has not"),
])
def test_damaged_weights_get_one_line_naming_the_table(imported, tmp_path, damage, words):
    """In a file of someone else's (owned by nobody here): every value is checked."""
    db, folder, namespace, layers = imported
    layer = next(layer for layer in layers if layer.packing == "conv3x3")
    table = f'"{namespace}"."{layer.name}"'
    _doctor(db, *damage.format(t=table).split("; "))
    os.chown(db, _nobody(), -1)
    message = one_line(run("generate", "--model", folder, "--db", db, "--out", tmp_path / "p.png", *FAST))
    assert "damaged" in message and layer.name in message and words in message and "import the model anew" in message


def test_a_winograd_table_is_checked_by_its_own_layout(tmp_path):
    """The demo's large convolutions are stored as Winograd kernels (u00 .. u33 and bias)."""
    db = tmp_path / "demo.duckdb"
    assert run("import", "--model", "demo", "--db", db).exit_code == 0
    con = _open(db)
    schema, table = con.execute("SELECT schema_name, table_name FROM duckdb_columns() WHERE column_name = 'u11' "
                                "LIMIT 1").fetchone()
    con.execute(f'UPDATE "{schema}"."{table}" SET bias = bias[2:]')
    con.close()
    os.chown(db, _nobody(), -1)
    message = one_line(run("generate", "--model", "demo", "--db", db, "--out", tmp_path / "p.png", *FAST))
    assert table in message and "does not hold one row" in message


def test_the_users_own_file_has_its_tables_checked_but_not_every_value(imported, tmp_path):
    """Reading every weight costs seconds on a large model: a file of the user's own is trusted for
    its values, and still refused for a table missing or of other columns."""
    db, folder, namespace, layers = imported
    layer = next(layer for layer in layers if layer.packing == "conv3x3")
    table = f'"{namespace}"."{layer.name}"'
    _doctor(db, f"UPDATE {table} SET m = m[2:]")
    engine = get_engine("duckdb", str(db))
    try:
        assert engine.check_values is False
        engine.check_stored(load_model(folder), namespace, layers)  # not read: no error
        engine.execute_sql(f"ALTER TABLE {table} ADD COLUMN extra INTEGER")
        with pytest.raises(Exception, match="has columns extra INTEGER the layout has not"):
            engine.check_stored(load_model(folder), namespace, layers)
    finally:
        engine.close()


def test_a_gallery_that_is_a_view_is_refused(tmp_path):
    db = tmp_path / "g.duckdb"
    _doctor(db, "CREATE VIEW sqldiffusion_gallery AS SELECT 'x' AS id")
    engine = get_engine("duckdb", str(db))
    try:
        with pytest.raises(Exception) as refused:
            Gallery(engine)
    finally:
        engine.close()
    assert "is a view, not a table" in str(refused.value) and "\n" not in str(refused.value)


def test_a_read_only_file_keeps_its_gallery_for_the_run_only(tmp_path):
    db = tmp_path / "g.duckdb"
    engine = get_engine("duckdb", str(db))
    Gallery(engine).add(model="demo", digest="d", engine="duckdb", seed=1, sampler="ddim", schedule="s", batch=1,
                        seconds=1.0, settings={}, png=b"\x89PNG\r\n")
    engine.close()
    os.chmod(db, 0o444)
    before = db.read_bytes()
    engine, said = get_engine("duckdb", str(db)), []
    try:
        gallery = Gallery(engine, say=said.append)
        assert said == [f"gallery: {db} is read-only, so new pictures are kept for this run only"]
        assert [e["seed"] for e in gallery.entries()] == [1]
        gallery.add(model="demo", digest="d", engine="duckdb", seed=2, sampler="ddim", schedule="s", batch=1,
                    seconds=1.0, settings={}, png=b"\x89PNG\r\n")
        assert [e["seed"] for e in gallery.entries()] == [2, 1]
    finally:
        engine.close()
    assert db.read_bytes() == before


def test_a_file_without_write_bits_is_opened_read_only_for_root_too(imported, tmp_path):
    db, folder, _, _ = imported
    os.chmod(db, 0o444)
    before = db.read_bytes()
    assert run("generate", "--model", folder, "--db", db, "--out", tmp_path / "p.png", *FAST).exit_code == 0
    message = one_line(run("import", "--model", "demo", "--db", db))
    assert "read-only" in message
    assert db.read_bytes() == before


def test_a_fifo_given_as_db_is_refused_at_once(tmp_path):
    fifo = tmp_path / "db.fifo"
    os.mkfifo(fifo)
    done = subprocess.run([sys.executable, "-m", "sqldiffusion.cli", "generate", "--db", str(fifo),
                           "--no-ascii", "--quiet",
                           "--out", str(tmp_path / "p.png")], capture_output=True, text=True, timeout=60)
    assert (done.returncode == 2 and "is a FIFO, not a regular file" in done.stderr
            and len(done.stderr.strip().splitlines()) == 1)
    assert fifo.is_fifo()


def _small_files():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG, as on a full disk
    resource.setrlimit(resource.RLIMIT_FSIZE, (300_000, 300_000))


@pytest.mark.slow
def test_an_import_that_fills_the_disk_gets_one_line_and_keeps_the_file(imported, tmp_path):
    db, _, _, _ = imported
    before = db.read_bytes()
    done = subprocess.run([sys.executable, "-m", "sqldiffusion.cli", "import", "--db", str(db)],
                          preexec_fn=_small_files, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "cannot import demo" in done.stderr and "free some space" in done.stderr
    assert db.read_bytes() == before
