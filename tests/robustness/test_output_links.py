"""Outputs and other users' symbolic links, the same file named twice, and a replaced file's permissions.

The attack: in a shared folder such as /tmp (sticky, world-writable), another user plants
`out.png -> a private file of ours`; a run with `--out out.png` must not replace that file. A link
is followed only where the kernel's fs.protected_symlinks would follow it, whatever the sysctl is
set to on this machine. The links are planted as user `nobody` (lchown: owning the link is all
that the rule looks at), so these tests run as root.
"""

from __future__ import annotations

import os
import pwd
import stat
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from sqldiffusion import SQLDiffusionError
from sqldiffusion.cli import cli
from sqldiffusion.errors import RunFailed
from sqldiffusion.outputs import check_output, write_output

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="planting another user's link needs root")

FAST = ["--timesteps", "500,0", "--no-ascii", "--quiet"]
SECRET = b"root's private file"


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=True)


def one_line(result) -> str:
    assert isinstance(result.exception, SQLDiffusionError), result.output
    assert result.exception.exit_code == 2
    message = str(result.exception)
    assert "\n" not in message
    return message


def nobody() -> tuple[int, int]:
    entry = pwd.getpwnam("nobody")
    return entry.pw_uid, entry.pw_gid


def folder(path: Path, mode: int) -> Path:
    path.mkdir()
    path.chmod(mode)  # chmod, not mkdir's mode: the umask would clear the sticky and write bits
    return path


def planted(link: Path, target: Path, owner: tuple[int, int] | None = None) -> Path:
    """A symbolic link `link -> target`, owned by `nobody` unless `owner` says otherwise."""
    link.symlink_to(target)
    os.lchown(link, *(owner or nobody()))
    return link


def private(path: Path) -> Path:
    """Root's own file, mode 600: what the attacker wants replaced."""
    path.write_bytes(SECRET)
    path.chmod(0o600)
    return path


def untouched(path: Path) -> bool:
    st = os.lstat(path)
    return path.read_bytes() == SECRET and stat.S_IMODE(st.st_mode) == 0o600 and st.st_uid == 0


@pytest.fixture(autouse=True)
def away(tmp_path, monkeypatch):
    """Run in tmp_path, so that the default --out (sqldiffusion.png) could never land elsewhere."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def shared(tmp_path):
    """A folder like /tmp: owned by root, sticky and world-writable."""
    return folder(tmp_path / "shared", 0o1777)


# ---- another user's link is refused ---------------------------------------------------------------

@pytest.mark.parametrize("option, name", [("--out", "out.png"), ("--gif", "t.gif"), ("--save-npy", "x0.npy")])
def test_another_users_link_in_a_shared_folder_is_refused(option, name, shared, tmp_path):
    secret = private(tmp_path / "secret")
    link = planted(shared / name, secret)
    message = one_line(run("generate", option, link, *FAST))
    assert option in message and "another user's symbolic link" in message and str(shared) in message
    assert untouched(secret) and link.is_symlink()
    assert sorted(p.name for p in shared.iterdir()) == [name]  # no temporary file left behind
    assert not (tmp_path / "sqldiffusion.png").exists()  # nothing ran


def test_another_users_link_to_a_folder_along_the_path_is_refused(shared, tmp_path):
    mine = folder(tmp_path / "mine", 0o700)
    secret = private(mine / "out.png")
    planted(shared / "pictures", mine)
    message = one_line(run("generate", "--out", shared / "pictures" / "out.png", *FAST))
    assert "another user's symbolic link" in message and "pictures" in message
    assert untouched(secret)


def test_a_chain_of_links_is_refused_at_the_shared_one(shared, tmp_path):
    secret = private(tmp_path / "secret.png")
    middle = planted(shared / "middle.png", secret)
    start = planted(folder(tmp_path / "own", 0o755) / "start.png", middle, owner=(0, 0))  # ours, leads there
    with pytest.raises(SQLDiffusionError, match="middle.png is another user's symbolic link"):
        check_output(start, "picture", option="--out")
    assert untouched(secret)


def test_a_loop_of_links_gets_one_line(tmp_path):
    (tmp_path / "a.png").symlink_to(tmp_path / "b.png")
    (tmp_path / "b.png").symlink_to(tmp_path / "a.png")
    with pytest.raises(SQLDiffusionError, match="more than 40 symbolic links"):
        check_output(tmp_path / "a.png", "picture", option="--out")


# ---- links the kernel would follow are followed ------------------------------------------------

def test_our_own_link_in_a_shared_folder_is_followed_and_the_file_keeps_its_mode(shared, tmp_path, small_model):
    _, model = small_model
    target = private(tmp_path / "picture.png")
    link = planted(shared / "out.png", target, owner=(0, 0))
    result = run("generate", "--model", model, "--out", link, *FAST)
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and target.read_bytes().startswith(b"\x89PNG")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # was 644 after the rename: the picture stays private


@pytest.mark.parametrize("mode, folder_owner", [
    (0o777, "root"),     # world-writable but not sticky
    (0o1777, "nobody"),  # sticky, but the folder's owner owns the link too
    (0o1755, "root"),    # sticky, not world-writable
])
def test_another_users_link_is_followed_where_the_kernel_follows_it(mode, folder_owner, tmp_path):
    place = folder(tmp_path / "place", mode)
    if folder_owner == "nobody":
        os.chown(place, *nobody())
    target = tmp_path / "real.png"
    link = planted(place / "out.png", target)
    assert check_output(link, "picture", option="--out") == target


# ---- the same file twice -------------------------------------------------------------------------

def test_the_same_path_twice_is_refused(tmp_path):
    same = tmp_path / "x.gif"
    message = one_line(run("generate", "--out", same, "--gif", same, *FAST))
    assert "--out and --gif are the same file" in message
    assert list(tmp_path.iterdir()) == []  # neither output, nor the default picture


def test_the_same_file_through_a_link_or_a_hard_link_is_refused(tmp_path):
    picture = private(tmp_path / "out.png")
    (tmp_path / "x0.npy").symlink_to(picture)
    os.link(picture, tmp_path / "t.gif")
    assert "--out and --save-npy" in one_line(run("generate", "--out", picture,
                                                  "--save-npy", tmp_path / "x0.npy", *FAST))
    assert "--out and --gif" in one_line(run("generate", "--out", picture, "--gif", tmp_path / "t.gif", *FAST))
    assert "--save-npy and --out" in one_line(run("invert", "--image", tmp_path / "in.png",
                                                  "--save-npy", tmp_path / "x0.npy", "--out", picture))
    assert untouched(picture)


# ---- writing -------------------------------------------------------------------------------------

def write_array(target: Path) -> Path:
    return write_output(target, lambda temp: np.save(open(temp, "wb"), np.arange(3)))


def test_a_replaced_file_keeps_its_mode_and_owner_and_a_new_one_gets_the_umask(tmp_path):
    theirs = tmp_path / "theirs.npy"
    theirs.write_bytes(b"old")
    theirs.chmod(0o640)
    os.chown(theirs, *nobody())
    write_array(check_output(theirs, "npy"))
    st = theirs.stat()
    assert np.array_equal(np.load(theirs), np.arange(3))
    assert stat.S_IMODE(st.st_mode) == 0o640 and (st.st_uid, st.st_gid) == nobody()
    fresh = write_array(check_output(tmp_path / "fresh.npy", "npy"))
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask and fresh.stat().st_uid == 0


def test_a_link_put_in_place_after_the_check_is_not_followed(shared, tmp_path):
    secret = private(tmp_path / "secret.npy")
    target = check_output(shared / "x0.npy", "npy")  # nothing there when checked ...
    planted(shared / "x0.npy", secret)  # ... then the link appears during the run
    with pytest.raises(RunFailed, match="no longer a regular file.*saved in"):
        write_array(target)
    assert untouched(secret) and (shared / "x0.npy").is_symlink()
