"""Import into the database: one transaction, idempotent, nothing left behind by a failure or a kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import duckdb
import numpy as np
import pytest
from conftest import random_sample, reference

from sqldiffusion import SQLDiffusionError, SQLUNet
from sqldiffusion.backends.duckdb.engine import DuckDBEngine
from sqldiffusion.graph import unet_layers
from sqldiffusion.model import load_model


def database_state(con) -> tuple:
    """Everything a user could see: schemas, tables with their row counts, the model registry."""
    tables = con.execute("SELECT schema_name, table_name, estimated_size FROM duckdb_tables() "
                         "WHERE NOT temporary ORDER BY ALL").fetchall()
    schemas = con.execute("SELECT schema_name FROM duckdb_schemas() ORDER BY ALL").fetchall()
    registered = any(t[1] == "sqldiffusion_models" for t in tables)
    registry = (con.execute("SELECT digest, schema_name FROM sqldiffusion_models ORDER BY ALL").fetchall()
                if registered else [])
    return tables, schemas, registry


def test_importing_the_same_model_again_does_nothing(small_model, tmp_path):
    model, folder = small_model
    db = str(tmp_path / "models.duckdb")
    net = SQLUNet(folder, database=db)
    x = random_sample(1, 3, 16)
    first = net(x, 5)
    before = database_state(net.engine.con)
    assert len(before[2]) == 1
    tables = len(net.engine.dialect.stored_layers(unet_layers(net.config)))
    assert sum(1 for t in before[0] if t[0] == net.namespace) == tables
    net.engine.close()

    calls = []
    again = SQLUNet(folder, database=db, on_import=lambda i, n: calls.append(i))
    assert calls == []  # found in the registry: no layer stored again
    assert database_state(again.engine.con) == before
    np.testing.assert_array_equal(again(x, 5), first)
    np.testing.assert_allclose(first, reference(model, x, 5), atol=1e-4)


def test_interrupted_import_leaves_the_database_as_it_was(small_model):
    _, folder = small_model
    engine = DuckDBEngine()
    before = database_state(engine.con)
    model = load_model(folder)

    def interrupt(i, n):
        if i == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        engine.import_model(model, engine.dialect.stored_layers(unet_layers(model.config)), interrupt)
    assert database_state(engine.con) == before
    # and a later import still works
    schema = engine.import_model(model, engine.dialect.stored_layers(unet_layers(model.config)))
    assert engine.imported_namespace(model) == schema


def test_failed_import_touches_nothing(small_model, tmp_path):
    _, folder = small_model
    db = str(tmp_path / "models.duckdb")
    engine = DuckDBEngine(db)
    before = database_state(engine.con)
    path = folder / "diffusion_pytorch_model.safetensors"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(SQLDiffusionError):
        SQLUNet(folder, engine=engine)
    assert database_state(engine.con) == before


@pytest.mark.slow
def test_killed_import_leaves_the_database_file_as_it_was(small_model, tmp_path):
    _, folder = small_model
    db = tmp_path / "models.duckdb"
    DuckDBEngine(str(db)).close()
    script = textwrap.dedent(f"""
        import os, signal
        from sqldiffusion import SQLUNet
        def die(i, n):
            if i == 8:
                os.kill(os.getpid(), signal.SIGKILL)
        SQLUNet({str(folder)!r}, database={str(db)!r}, on_import=die)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True)
    assert result.returncode == -signal.SIGKILL
    con = duckdb.connect(str(db))
    tables, schemas, registry = database_state(con)
    assert registry == [] and not any(s[0].startswith("sqld_") for s in schemas)
    assert tables == []  # not even the registry: the database file is exactly as it was


@pytest.mark.slow
def test_generation_path_never_loads_torch(small_model, tmp_path):
    _, folder = small_model
    np.save(tmp_path / "x.npy", random_sample(2, 3, 16))
    script = textwrap.dedent(f"""
        import sys
        from sqldiffusion.cli import main
        sys.argv = ["sqldiffusion", "unet", "-m", {str(folder)!r}, "-i", {str(tmp_path / 'x.npy')!r},
                    "-t", "3,4", "-o", {str(tmp_path / 'y.npy')!r}]
        try:
            main()
        except SystemExit:
            pass
        assert "torch" not in sys.modules and "diffusers" not in sys.modules, "torch was imported"
        print("ok")
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env={**os.environ})
    assert result.stdout.strip() == "ok", result.stderr
    assert np.load(tmp_path / "y.npy").shape == (2, 3, 16, 16)


def test_an_import_in_an_older_layout_is_replaced(small_model, tmp_path, monkeypatch):
    """A database written by a version that stored parameters differently is re-imported, in one step."""
    model, folder = small_model
    db = str(tmp_path / "models.duckdb")
    monkeypatch.setattr(DuckDBEngine, "layout_version", "old")
    old = SQLUNet(folder, database=db)
    old_namespace = old.namespace
    old.engine.close()
    monkeypatch.undo()

    net = SQLUNet(folder, database=db)
    assert net.namespace != old_namespace
    tables, schemas, registry = database_state(net.engine.con)
    assert (old_namespace,) not in schemas and (net.namespace,) in schemas
    assert [r[1] for r in registry] == [net.namespace]
    x = random_sample(1, 3, 16)
    np.testing.assert_allclose(net(x, 5), reference(model, x, 5), atol=1e-4)
