"""What the running role owns on a server shared with other roles, and what it may take from them.

A role's registry and gallery live in a schema of its own, `sqldiffusion_<role>` (`home_schema`);
a same-named schema or table another role made is never used (one line says whose it is). A model
another role imported is used only where that role shared it (USAGE on its schema, SELECT on its
tables) and every part is as sqldiffusion makes it: the registry a plain table in that role's home,
the schema named for the model and that role, every table a plain table of that role's, without
children. While it is read, a second connection holds ACCESS SHARE locks on those tables, so that
they cannot be dropped or turned into views (whose functions would run as the reader) meanwhile.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator

from ...errors import SQLDiffusionError, first_line
from ...graph.ops import Layer
from .dialect import stored_name

_SIMPLE_ROLE = re.compile(r"[a-z0-9_]{1,24}")


def role_tag(role: str) -> str:
    """The part of a schema's name that stands for a role: its name where short and plain, else a
    digest of it (a schema name is at most 63 bytes and must not depend on quoting)."""
    if _SIMPLE_ROLE.fullmatch(role):
        return role
    return "r" + hashlib.sha256(role.encode()).hexdigest()[:16]


def home_schema(role: str) -> str:
    """The schema holding a role's registry (`models`) and gallery (`gallery`)."""
    return f"sqldiffusion_{role_tag(role)}"


def schema_owner(engine, schema: str) -> str | None:
    rows = engine.query("SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = %s", [schema])
    return rows[0][0] if rows else None


def make_home(engine) -> None:
    """The role's home schema, made if missing; one line if another role made one of its name."""
    if schema_owner(engine, engine.home) is None:  # CREATE needs a privilege an existing home does not
        engine.execute_sql(f"CREATE SCHEMA IF NOT EXISTS {engine.dialect.quote(engine.home)}")
    _refuse_foreign(engine, f"schema {engine.home}", schema_owner(engine, engine.home))


def own_relation(engine, schema: str, name: str) -> bool:
    """Whether the role's table `schema.name` exists; one line if it exists as anything else than a
    table of the role's own (in a schema of its own)."""
    owner = schema_owner(engine, schema)
    if owner is None:
        return False
    _refuse_foreign(engine, f"schema {schema}", owner)
    rows = engine.query("SELECT pg_get_userbyid(c.relowner), c.relkind FROM pg_class c JOIN pg_namespace n "
                        "ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relname = %s", [schema, name])
    if not rows:
        return False
    owner, kind = rows[0]
    _refuse_foreign(engine, f"{schema}.{name}", owner)
    if kind != "r":
        raise SQLDiffusionError(f"{schema}.{name} is not a table sqldiffusion made (relkind {kind}); "
                                f"drop it, and sqldiffusion makes its own")
    return True


def _refuse_foreign(engine, what: str, owner: str | None) -> None:
    if owner is not None and owner != engine.role:
        raise SQLDiffusionError(f"{what} belongs to role {owner}, not to {engine.role}: sqldiffusion keeps "
                                f"role {engine.role}'s registry and gallery there and uses no other role's; "
                                f"ask {owner} or an administrator to drop or rename it")


def lock_holder(engine, key: int) -> str:
    """Who holds the import lock of the running role, as far as this role may see."""
    rows = engine.query("SELECT a.pid, coalesce(a.usename, '?'), coalesce(a.application_name, '') "
                        "FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
                        "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %s::oid "
                        "AND l.objid = hashtext(current_user)::oid AND l.objsubid = 2", [key])
    if not rows:
        return "a session no longer there"
    pid, user, app = rows[0]
    return f"pid {pid}, role {user}" + (f", {app[:40]}" if app else "")


def shared_imports(engine, model, layers: list[Layer]) -> Iterator[tuple[str, str, str | None]]:
    """(owner, schema, what is wrong or None) for each other role whose registry, readable by this
    one, lists `model`: those with None are shared as sqldiffusion made them."""
    registries = engine.query(
        "SELECT n.nspname, pg_get_userbyid(c.relowner) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relname = 'models' AND n.nspname LIKE 'sqldiffusion\\_%%' AND c.relkind = 'r' "
        "AND c.relowner = n.nspowner AND NOT c.relhassubclass AND NOT c.relrowsecurity "
        "AND pg_get_userbyid(c.relowner) <> current_user "
        "AND has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT')")
    for home, owner in registries:
        if home != home_schema(owner) or not _text_columns(engine, home, "models", ("digest", "schema_name")):
            continue
        q = engine.dialect.quote
        rows = engine.query(f"SELECT schema_name FROM ONLY {q(home)}.models WHERE digest = %s", [model.digest])
        if rows:
            namespace = rows[0][0]
            yield owner, namespace, shared_problem(engine, model, owner, namespace, layers)


def _text_columns(engine, schema: str, table: str, columns: tuple[str, ...]) -> bool:
    """Whether `columns` of the table are the built-in text type (no other type's functions run)."""
    rows = engine.query("SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
                        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relname = %s "
                        "AND a.attname = ANY(%s) AND a.atttypid = 'pg_catalog.text'::regtype",
                        [schema, table, list(columns)])
    return rows[0][0] == len(columns)


def shared_problem(engine, model, owner: str, namespace: str, layers: list[Layer]) -> str | None:
    """What keeps another role's import from being used, or None."""
    if namespace != f"sqld_{model.digest[:16]}_{role_tag(owner)}":
        return f"its registry names schema {namespace[:63]!r}, not one sqldiffusion makes"
    if schema_owner(engine, namespace) != owner:
        return f"schema {namespace} is not {owner}'s"
    if not engine.query("SELECT has_schema_privilege(%s, 'USAGE')", [namespace])[0][0]:
        return "it is not shared with you"
    names = [stored_name(layer.name) for layer in layers]
    fine = engine.query(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s "
        "AND c.relname = ANY(%s) AND c.relkind = 'r' AND pg_get_userbyid(c.relowner) = %s AND NOT c.relhassubclass "
        "AND has_table_privilege(c.oid, 'SELECT')", [namespace, names, owner])[0][0]
    if fine != len(set(names)):
        return (f"{len(set(names)) - fine} of its tables are missing, not shared with you, "
                f"or not plain tables of {owner}'s")
    return None


def hold(engine, namespace: str, layers: list[Layer]):
    """A second connection of `engine`'s holding ACCESS SHARE locks on another role's import, to be
    kept until the engine closes (nobody can drop or alter those tables meanwhile), and None; or
    None and what went wrong."""
    import psycopg

    tables = ", ".join(engine.dialect.table(namespace, layer.name) for layer in layers)
    holder = None
    try:
        holder = psycopg.connect(engine.dsn, connect_timeout=10)
        holder.execute("SET search_path = pg_catalog, pg_temp")
        holder.execute("SET lock_timeout = '10s'")
        holder.execute(f"LOCK TABLE ONLY {tables} IN ACCESS SHARE MODE")
    except psycopg.Error as e:
        if holder is not None:
            holder.close()
        return None, f"its tables could not be held: {first_line(e)}"
    return holder, None
