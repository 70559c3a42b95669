"""A PostgreSQL server shared by two roles, alice and mallory, both with CREATE on the database and on
schema public (PostgreSQL 14's default, common on hosted servers): nothing mallory plants runs as
alice, drops what alice keeps, or is taken for alice's."""

from __future__ import annotations

import logging
import re

import numpy as np
import pytest
from conftest import random_sample

from sqldiffusion import SQLDiffusionError, SQLUNet
from sqldiffusion.backends import get_engine
from sqldiffusion.model import load_model
from sqldiffusion.serve.gallery import Gallery

pytestmark = pytest.mark.slow

ROLES = ("sqld_alice", "sqld_mallory")


def _as(dsn: str, role: str) -> str:
    return re.sub(r"://[^@]*@", f"://{role}:{role}-password@", dsn, count=1)


@pytest.fixture
def server(pg_dsn):
    """The superuser's connection; alice and mallory made afresh, alice with a secret table only she
    can read, mallory with a table of loot anyone may write; all they own dropped afterwards."""
    import psycopg

    admin = psycopg.connect(pg_dsn, autocommit=True)
    _drop_roles(admin)
    database = admin.execute("SELECT current_database()").fetchone()[0]
    for role in ROLES:
        admin.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{role}-password'")
        admin.execute(f'GRANT CREATE ON DATABASE "{database}" TO {role}')
        admin.execute(f"GRANT CREATE, USAGE ON SCHEMA public TO {role}")
    with psycopg.connect(_as(pg_dsn, "sqld_alice"), autocommit=True) as alice:
        alice.execute("CREATE TABLE public.alice_secret (s TEXT)")
        alice.execute("INSERT INTO public.alice_secret VALUES ('the recipe')")
    with psycopg.connect(_as(pg_dsn, "sqld_mallory"), autocommit=True) as mallory:
        mallory.execute("CREATE TABLE public.mallory_loot (s TEXT)")
        mallory.execute("GRANT INSERT, SELECT ON public.mallory_loot TO PUBLIC")
        mallory.execute("CREATE FUNCTION public.mallory_steal() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                        "INSERT INTO public.mallory_loot SELECT s FROM public.alice_secret; RETURN NEW; END $$")
    yield admin
    _drop_roles(admin)
    admin.close()


def _drop_roles(admin) -> None:
    for role in ROLES:
        if admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone():
            admin.execute(f"DROP OWNED BY {role} CASCADE")
            admin.execute(f"DROP ROLE {role}")


@pytest.fixture
def steal_now(server, pg_dsn):
    _mallory(pg_dsn, "CREATE FUNCTION public.mallory_steal_now() RETURNS integer LANGUAGE sql AS "
                     "$$ INSERT INTO public.mallory_loot SELECT s FROM public.alice_secret RETURNING 1 $$")


def _mallory(pg_dsn, *statements: str) -> None:
    import psycopg

    with psycopg.connect(_as(pg_dsn, "sqld_mallory"), autocommit=True) as con:
        for statement in statements:
            con.execute(statement)


def _loot(admin) -> list:
    return admin.execute("SELECT s FROM public.mallory_loot").fetchall()


def _schemas(admin) -> set[str]:
    return {r[0] for r in admin.execute("SELECT nspname FROM pg_namespace WHERE nspname ~ '^sqld_[0-9a-f]{16}_'")}


def test_a_planted_registry_in_public_is_never_touched(server, pg_dsn, small_model):
    _, folder = small_model
    _mallory(pg_dsn, "CREATE TABLE public.sqldiffusion_models (digest TEXT PRIMARY KEY, schema_name TEXT, "
                     "model TEXT, config TEXT, imported_at TIMESTAMPTZ)",
             "GRANT ALL ON public.sqldiffusion_models TO PUBLIC",
             "CREATE TRIGGER steal BEFORE INSERT ON public.sqldiffusion_models FOR EACH ROW "
             "EXECUTE FUNCTION public.mallory_steal()")
    alice = get_engine("postgres", _as(pg_dsn, "sqld_alice"))
    try:
        net = SQLUNet(folder, alice)
        assert alice.query(f"SELECT schema_name FROM {alice.registry}") == [(net.namespace,)]
        assert alice.query("SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = %s",
                           [net.namespace]) == [("sqld_alice",)]
    finally:
        alice.close()
    assert _loot(server) == [] and server.execute("SELECT count(*) FROM public.sqldiffusion_models").fetchone() == (0,)


@pytest.mark.parametrize("planted", ["models", "gallery"])
def test_a_home_schema_planted_by_another_role_gets_one_line_and_runs_nothing(server, pg_dsn, small_model, planted):
    _, folder = small_model
    columns = "(digest TEXT PRIMARY KEY, schema_name TEXT, model TEXT, config TEXT, imported_at TIMESTAMPTZ)" \
        if planted == "models" else "(id TEXT)"
    _mallory(pg_dsn, "CREATE SCHEMA sqldiffusion_sqld_alice", "GRANT ALL ON SCHEMA sqldiffusion_sqld_alice TO PUBLIC",
             f"CREATE TABLE sqldiffusion_sqld_alice.{planted} {columns}",
             f"GRANT ALL ON sqldiffusion_sqld_alice.{planted} TO PUBLIC",
             f"CREATE TRIGGER steal BEFORE INSERT ON sqldiffusion_sqld_alice.{planted} FOR EACH ROW "
             "EXECUTE FUNCTION public.mallory_steal()")
    alice = get_engine("postgres", _as(pg_dsn, "sqld_alice"))
    try:
        with pytest.raises(SQLDiffusionError) as refused:
            SQLUNet(folder, alice) if planted == "models" else Gallery(alice)
    finally:
        alice.close()
    line = str(refused.value)
    assert "\n" not in line and "belongs to role sqld_mallory" in line and "drop or rename" in line
    assert _loot(server) == []


def test_a_registry_row_drops_only_a_schema_made_for_its_model_and_owned_by_the_role(server, pg_dsn, small_model):
    _, folder = small_model
    model = load_model(folder)
    alice = get_engine("postgres", _as(pg_dsn, "sqld_alice"))
    try:
        alice.execute_sql("CREATE SCHEMA alice_data")
        alice.execute_sql("CREATE TABLE alice_data.keep (x INTEGER)")
        _mallory(pg_dsn, f"CREATE SCHEMA sqld_{model.digest[:16]}_old")  # a sqldiffusion-like name, mallory's
        rows = [("alice_data", "alice_data"), (f"sqld_{model.digest[:16]}_old", "mallory's")]
        for planted, _ in rows:  # as an older version's row, or a doctored one, in alice's own registry
            alice.make_registry()
            alice.execute_sql(f"DELETE FROM {alice.registry}")
            alice.execute_sql(f"INSERT INTO {alice.registry} (digest, schema_name) VALUES (%s, %s)",
                              [model.digest, planted])
            net = SQLUNet(folder, alice)
            assert alice.namespace_exists(planted), planted
            assert alice.query(f"SELECT schema_name FROM {alice.registry}") == [(net.namespace,)]
            alice.execute_sql(f'DROP SCHEMA "{net.namespace}" CASCADE')
        assert alice.query("SELECT count(*) FROM alice_data.keep") == [(0,)]
    finally:
        alice.close()


def test_another_roles_import_is_used_only_when_shared_as_made(server, pg_dsn, small_model, caplog):
    torch_model, folder = small_model
    x = random_sample(1, 3, 16)
    alice = get_engine("postgres", _as(pg_dsn, "sqld_alice"))
    mallory = get_engine("postgres", _as(pg_dsn, "sqld_mallory"))
    try:
        theirs = SQLUNet(folder, alice).namespace
        expected = SQLUNet(folder, alice)(x, 500)
        before = _schemas(server)
        # not shared: mallory cannot see alice's registry at all, and imports her own copy quietly
        with caplog.at_level(logging.WARNING, logger="sqldiffusion"):
            own = SQLUNet(folder, mallory).namespace
        assert own != theirs and _schemas(server) == before | {own}
        mallory.execute_sql(f'DROP SCHEMA "{own}" CASCADE')
        mallory.execute_sql(f"DELETE FROM {mallory.registry}")
        # the registry shared but not the model: one line, and her own copy
        alice.execute_sql(f'GRANT USAGE ON SCHEMA "{alice.home}" TO sqld_mallory')
        alice.execute_sql(f"GRANT SELECT ON {alice.registry} TO sqld_mallory")
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="sqldiffusion"):
            assert SQLUNet(folder, mallory).namespace == own
        assert any("not shared with you" in r.getMessage() and "own copy" in r.getMessage() for r in caplog.records)
        mallory.execute_sql(f'DROP SCHEMA "{own}" CASCADE')
        mallory.execute_sql(f"DELETE FROM {mallory.registry}")
        # shared whole: used as it is, and gives alice's numbers
        alice.execute_sql(f'GRANT USAGE ON SCHEMA "{theirs}" TO sqld_mallory')
        alice.execute_sql(f'GRANT SELECT ON ALL TABLES IN SCHEMA "{theirs}" TO sqld_mallory')
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="sqldiffusion"):
            shared = SQLUNet(folder, mallory)
        assert shared.namespace == theirs and _schemas(server) == before
        np.testing.assert_array_equal(shared(x, 500), expected)
        assert any("using role sqld_alice's import" in r.getMessage() for r in caplog.records)
        # held while it is used: alice cannot drop it under mallory's run (her lock wait is cut short)
        alice.execute_sql("SET lock_timeout = '1s'")
        with pytest.raises(Exception, match="lock timeout"):
            alice.execute_sql(f'DROP TABLE "{theirs}"."conv_in"')
    finally:
        mallory.close()
        alice.close()


def test_a_shared_import_with_a_view_among_its_tables_is_not_used(server, pg_dsn, small_model, caplog, steal_now):
    """mallory shares an import with a view where a table was: its function would run as alice."""
    _, folder = small_model
    mallory = get_engine("postgres", _as(pg_dsn, "sqld_mallory"))
    alice = get_engine("postgres", _as(pg_dsn, "sqld_alice"))
    try:
        theirs = SQLUNet(folder, mallory).namespace
        mallory.execute_sql(f'ALTER TABLE "{theirs}"."conv_in" RENAME TO conv_in_data')
        mallory.execute_sql(f'CREATE VIEW "{theirs}"."conv_in" AS SELECT * FROM "{theirs}".conv_in_data '
                            "WHERE (SELECT count(*) FROM (SELECT public.mallory_steal_now()) s) >= 0")
        for statement in (f'GRANT USAGE ON SCHEMA "{mallory.home}", "{theirs}" TO PUBLIC',
                          f"GRANT SELECT ON {mallory.registry} TO PUBLIC",
                          f'GRANT SELECT ON ALL TABLES IN SCHEMA "{theirs}" TO PUBLIC'):
            mallory.execute_sql(statement)
        with caplog.at_level(logging.WARNING, logger="sqldiffusion"):
            mine = SQLUNet(folder, alice).namespace
        assert mine != theirs
        assert any("not plain tables" in r.getMessage() and "own copy" in r.getMessage() for r in caplog.records)
    finally:
        alice.close()
        mallory.close()
    assert _loot(server) == []


def test_an_import_lock_held_by_another_session_is_waited_for_then_named(server, pg_dsn, small_model):
    import psycopg

    _, folder = small_model
    with psycopg.connect(_as(pg_dsn, "sqld_mallory"), autocommit=True) as mallory:
        mallory.execute("SELECT pg_advisory_lock(742053, hashtext('sqld_alice'))")
        alice = get_engine("postgres", _as(pg_dsn, "sqld_alice"))
        alice.lock_wait = 1.0
        try:
            with pytest.raises(SQLDiffusionError) as refused:
                SQLUNet(folder, alice)
        finally:
            alice.close()
    line = str(refused.value)
    assert "\n" not in line and "another session importing as role sqld_alice" in line and "role sqld_mallory" in line


def test_names_resolve_in_the_catalog_and_our_temporary_tables_only(server, pg_dsn, small_model, steal_now):
    """A function of mallory's in public that would match a call more closely than the built-in
    (PostgreSQL's own CVE-2018-1058) is never chosen: the search path holds no schema she can write."""
    _, folder = small_model
    _mallory(pg_dsn, "CREATE FUNCTION public.exp(integer) RETURNS double precision LANGUAGE sql AS "
                     "$$ SELECT public.mallory_steal_now()::double precision $$")
    alice = get_engine("postgres", _as(pg_dsn, "sqld_alice"))
    try:
        assert alice.query("SHOW search_path") == [("pg_catalog, pg_temp",)]
        assert alice.query("SELECT exp(1)")[0][0] == pytest.approx(np.e)
    finally:
        alice.close()
    assert _loot(server) == []


@pytest.mark.parametrize("damage, words", [
    ('DELETE FROM {t} WHERE o = 0', "holds 135 rows, not the layout's 144"),
    ("UPDATE {t} SET w0 = 'NaN'", "finite"),
    ("ALTER TABLE {t} ADD COLUMN extra INTEGER", "has columns extra integer the layout has not"),
])
def test_a_damaged_table_of_the_roles_own_import_gets_one_line(server, pg_dsn, small_model, damage, words):
    _, folder = small_model
    alice = get_engine("postgres", _as(pg_dsn, "sqld_alice"))
    try:
        namespace = SQLUNet(folder, alice).namespace
        alice.execute_sql(damage.format(t=f'"{namespace}"."conv_in"'))
        with pytest.raises(SQLDiffusionError) as refused:
            SQLUNet(folder, alice)
    finally:
        alice.close()
    line = str(refused.value)
    assert "\n" not in line and "conv_in" in line and words in line and f'drop schema "{namespace}"' in line
