"""Opening a model's files (and pictures) for reading: each must be a regular file of bounded size.

A model folder can hold anything: a config that is a link to /dev/zero, a FIFO that never delivers,
a folder named like a weight file, a file padded to gigabytes. Every file is therefore opened with
`open_bounded`, which looks at what was opened (not at the name, which may change meanwhile) before a
byte is read, and refuses in one line what is not a plain file or is larger than its kind may be.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from ..errors import SQLDiffusionError

JSON_LIMIT = 4 << 20  # config.json, scheduler_config.json: a few KiB in every public model

_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def kind_of_file(mode: int) -> str:
    """What a file that is not a regular one is, for a message: "a FIFO", "a folder", ..."""
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def size_text(size: int) -> str:
    """A byte count as a message gives it (KiB, MiB or GiB)."""
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if size >= 1 << shift:
            return f"{size / (1 << shift):.1f} {unit}"
    return f"{size} bytes"


def _check(path: Path, info: os.stat_result, limit: int, what: str) -> None:
    if not stat.S_ISREG(info.st_mode):
        kind = kind_of_file(info.st_mode)
        raise SQLDiffusionError(f"{path}: is {kind}; {what} must be a regular file")
    if info.st_size > limit:
        raise SQLDiffusionError(f"{path}: {size_text(info.st_size)} is more than {what} may hold "
                                f"({size_text(limit)}); is this the right file?")


def open_bounded(path, limit: int, what: str) -> BinaryIO:
    """`path` opened for binary reading, once it is known to be a regular file (links followed) of
    at most `limit` bytes; one line otherwise. FileNotFoundError is left to the caller, which knows
    what the file should have been."""
    path = Path(path)
    try:
        _check(path, os.stat(path), limit, what)  # a device is never even opened
        # O_NONBLOCK: were the name swapped for a FIFO since, opening it must not wait for a writer
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise
    except OSError as e:
        raise SQLDiffusionError(f"{path}: cannot be read ({e.strerror}); {what} must be a readable file") from None
    try:
        _check(path, os.fstat(fd), limit, what)  # what was opened is what counts
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bounded(path, limit: int, what: str) -> bytes:
    """The whole of a regular file of at most `limit` bytes (open_bounded), never more than that:
    a file that grows while it is read is refused too."""
    with open_bounded(path, limit, what) as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise SQLDiffusionError(f"{path}: grew past {size_text(limit)} while it was read; {what} must be a "
                                "file that is not being written")
    return data
