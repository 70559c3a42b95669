"""Where results go: every output path is checked before any SQL runs, and written whole after.

`check_output` refuses, in one line, what a run could only fail on or damage at the end: a wrong
extension, a folder that is missing or not writable, something at the path that is not a regular
file (a device, a FIFO, a socket, a folder), a read-only file (unless forced). A symbolic link is
followed: its target is what gets written. `write_output` writes a temporary file in the target's
own folder and renames it over the target, so a reader never sees half a file; if that still
fails, the result is saved in the current folder (or the temporary folder) and the error says
where, so that a long run is never lost.
"""

from __future__ import annotations

import os
import stat
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from .errors import RunFailed, SQLDiffusionError


def picture_suffixes() -> set[str]:
    """File name endings Pillow can write (.png, .jpg, .webp, ...)."""
    from PIL import Image

    Image.init()
    return {ext for ext, fmt in Image.registered_extensions().items() if fmt in Image.SAVE}


# what each kind of output may be called; None: any name
SUFFIXES: dict[str, Callable[[], set[str]] | None] = {
    "picture": picture_suffixes,
    "gif": lambda: {".gif"},
    "npy": lambda: {".npy"},
    "text": None,
}


def _what(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device")):
        if test(mode):
            return name
    return "not a regular file"


def check_output(path: Path | str, kind: str, force: bool = False, option: str = "output") -> Path:
    """The real file `path` names (symbolic links followed), checked for writing a `kind` result;
    one line naming `option` if it cannot be written."""
    path = Path(path)
    allowed = SUFFIXES[kind]
    if allowed is not None:
        suffixes = allowed()
        if path.suffix.lower() not in suffixes:
            shown = ", ".join(sorted(suffixes)) if len(suffixes) <= 4 else ".png, .jpg, .webp, ..."
            raise SQLDiffusionError(f"{option} {path}: the name must end in {shown}")
    target = Path(os.path.realpath(path))
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as e:
        raise SQLDiffusionError(f"{option} {path}: cannot be examined ({e.strerror})") from None
    if mode is not None and not stat.S_ISREG(mode):
        raise SQLDiffusionError(f"{option} {path} is {_what(mode)}; give the name of a regular file")
    read_only = mode is not None and (not mode & 0o222 or not os.access(target, os.W_OK))  # root too
    if read_only and not force:
        raise SQLDiffusionError(f"{option} {path} is read-only; pass --force to replace it")
    folder = target.parent
    if not folder.is_dir():
        raise SQLDiffusionError(f"{option} {path}: folder {folder} does not exist")
    try:  # the only sure test that the folder takes new files: make one
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".sqldiffusion-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise SQLDiffusionError(f"{option} {path}: cannot write in folder {folder} ({e.strerror})") from None
    return target


def write_output(target: Path, write: Callable[[str], None]) -> Path:
    """Write a result through `write(temporary_path)` and put it at `target` (checked by
    `check_output`); returns where it went. If it cannot go there, it is saved elsewhere and the
    error says where."""
    try:
        _write_beside(target, write)
        return target
    except OSError as e:
        reason = e.strerror or str(e)
    rescue = _rescue(target, write)
    if rescue is None:
        raise RunFailed(f"could not write {target} ({reason}), nor a copy in the current or temporary folder")
    raise RunFailed(f"could not write {target} ({reason}); the result is saved in {rescue}")


def _write_beside(target: Path, write: Callable[[str], None]) -> None:
    """Via a temporary file in the target's folder, renamed over it: never half a file, and only
    ever over a regular file."""
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".sqldiffusion-", suffix=target.suffix)
    os.close(fd)
    try:
        write(temp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)  # mkstemp makes owner-only files; a picture is for sharing
        if os.path.lexists(target) and not target.is_file():
            raise OSError(0, f"{target} is no longer a regular file")
        os.replace(temp, target)
    except BaseException:
        os.unlink(temp)
        raise


def _rescue(target: Path, write: Callable[[str], None]) -> Path | None:
    name = f"sqldiffusion-{time.strftime('%Y%m%d-%H%M%S')}-{target.name}"
    for folder in (Path.cwd(), Path(tempfile.gettempdir())):
        try:
            fd, temp = tempfile.mkstemp(dir=folder, prefix=name.removesuffix(target.suffix) + "-",
                                        suffix=target.suffix)
            os.close(fd)
            write(temp)
            return Path(temp)
        except OSError:
            continue
    return None
