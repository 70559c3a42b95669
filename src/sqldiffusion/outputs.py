"""Where results go: every output path is checked before any SQL runs, and written whole after.

`check_output` refuses, in one line, what a run could only fail on or damage at the end: a wrong
extension, a folder that is missing or not writable, something at the path that is not a regular
file (a device, a FIFO, a socket, a folder), a read-only file (unless forced). A symbolic link is
followed only where the kernel's protected_symlinks would follow it (`resolve`): another user's
link in a shared folder such as /tmp is refused, wherever it is along the path. `check_distinct`
refuses two outputs that are one file. `write_output` writes a temporary file in the target's
own folder and renames it over the target, so a reader never sees half a file; a file replaced
keeps its permissions (and, for root, its owner). If that still fails, the result is saved in the
current folder (or the temporary folder) and the error says where, so that a long run is never lost.
"""

from __future__ import annotations

import os
import stat
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from .errors import RunFailed, SQLDiffusionError
from .model.files import kind_of_file


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


MAX_LINKS = 40  # symbolic links followed in one path, the kernel's own limit (ELOOP)


def resolve(path: Path, option: str = "output") -> Path:
    """The real path `path` names, as os.path.realpath finds it, except that every symbolic link
    along the way must be one the kernel would follow with fs.protected_symlinks on (see
    `_check_link`); one line naming `option` otherwise. Missing components are kept as given."""
    real = Path("/") if path.is_absolute() else Path(os.getcwd())  # getcwd is already real
    todo = list(reversed(path.parts[1:] if path.is_absolute() else path.parts))
    links = 0
    while todo:
        name = todo.pop()
        if name == "..":
            real = real.parent
            continue
        here = real / name
        try:
            st = os.lstat(here)
        except FileNotFoundError:  # not there yet: nothing further down can be a link
            real = here
            continue
        except OSError as e:
            raise SQLDiffusionError(f"{option} {path}: cannot be examined ({e.strerror})") from None
        if not stat.S_ISLNK(st.st_mode):
            real = here
            continue
        links += 1
        if links > MAX_LINKS:
            raise SQLDiffusionError(f"{option} {path}: more than {MAX_LINKS} symbolic links; give the file's own path")
        _check_link(path, here, st, option)
        target = Path(os.readlink(here))
        if target.is_absolute():
            real = Path("/")
        todo.extend(reversed(target.parts[1:] if target.is_absolute() else target.parts))
    return real


def _check_link(path: Path, link: Path, link_st: os.stat_result, option: str) -> None:
    """The kernel's rule (fs.protected_symlinks): a link in a sticky, world-writable folder is
    followed only by its owner, or when the folder's owner owns it too. Without it, another user
    could plant `out.png -> a file of ours` in /tmp and have the run replace that file."""
    folder = link.parent
    folder_st = os.stat(folder)  # real already: resolve walks real folders only
    shared = folder_st.st_mode & stat.S_ISVTX and folder_st.st_mode & stat.S_IWOTH
    if shared and link_st.st_uid not in (os.geteuid(), folder_st.st_uid):
        raise SQLDiffusionError(f"{option} {path}: {link} is another user's symbolic link (uid {link_st.st_uid}) "
                                f"in the shared folder {folder}, which is not followed; remove it or give another name")


def check_output(path: Path | str, kind: str, force: bool = False, option: str = "output") -> Path:
    """The real file `path` names (symbolic links followed where safe, see `resolve`), checked for
    writing a `kind` result; one line naming `option` if it cannot be written."""
    path = Path(path)
    allowed = SUFFIXES[kind]
    if allowed is not None:
        suffixes = allowed()
        if path.suffix.lower() not in suffixes:
            shown = ", ".join(sorted(suffixes)) if len(suffixes) <= 4 else ".png, .jpg, .webp, ..."
            raise SQLDiffusionError(f"{option} {path}: the name must end in {shown}")
    target = resolve(path, option)
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as e:
        raise SQLDiffusionError(f"{option} {path}: cannot be examined ({e.strerror})") from None
    if mode is not None and not stat.S_ISREG(mode):
        raise SQLDiffusionError(f"{option} {path} is {kind_of_file(mode)}; give the name of a regular file")
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


def check_distinct(*outputs: tuple[str, Path | None]) -> None:
    """Refuse two outputs (option, target from `check_output`) that are one file: the same real
    path, or, where the file exists, the same inode (a hard link). One would overwrite the other."""
    seen: dict[object, str] = {}
    for option, target in outputs:
        if target is None:
            continue
        keys: list[object] = [target]
        try:
            st = os.stat(target)
            keys.append((st.st_dev, st.st_ino))
        except OSError:  # not there yet: only its path can be shared
            pass
        for key in keys:
            if key in seen:
                raise SQLDiffusionError(f"{seen[key]} and {option} are the same file ({target}); "
                                        "give each output its own name")
            seen[key] = option


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
    ever over a regular file, whose permissions the new one keeps."""
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".sqldiffusion-", suffix=target.suffix)
    os.close(fd)
    try:
        write(temp)
        try:
            old = os.lstat(target)  # lstat: a link put there since the check is refused, not followed
        except FileNotFoundError:
            old = None
        if old is not None and not stat.S_ISREG(old.st_mode):
            raise OSError(0, f"{target} is no longer a regular file")
        _take_permissions(temp, old)
        os.replace(temp, target)
    except BaseException:
        os.unlink(temp)
        raise


def _take_permissions(temp: str, old: os.stat_result | None) -> None:
    """A new file gets the umask's default (mkstemp makes owner-only files; a picture is for
    sharing); a replaced one keeps its mode, so a private file stays private, and, where we are
    root, its owner. Set-id bits are not carried over to what we wrote."""
    if old is None:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)
        return
    if os.geteuid() == 0:
        os.chown(temp, old.st_uid, old.st_gid)
    else:  # the group where we belong to it (a shared folder's files keep theirs)
        try:
            os.chown(temp, -1, old.st_gid)
        except PermissionError:
            pass
    os.chmod(temp, stat.S_IMODE(old.st_mode) & 0o777)  # after chown, which may clear mode bits


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
