"""Plans of timesteps and the pictures drawn from samples: pure Python, no torch, no database."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import planned

from sqldiffusion import SQLDiffusionError
from sqldiffusion.pictures import ascii_art, colour_art, grid


def test_plan_of_a_custom_list_and_of_every_step():
    assert planned(timesteps=[500, 250, 125, 60, 0]).planned == [500, 250, 125, 60, 0]
    assert planned().planned == list(range(999, -1, -1))


@pytest.mark.parametrize("bad, message", [
    (dict(timesteps=[500, 600, 0]), "not strictly descending"),
    (dict(timesteps=[500, 500]), "not strictly descending"),
    (dict(timesteps=[1000, 0]), "[0, 1000)"),
    (dict(timesteps=[10, -1]), "[0, 1000)"),
    (dict(steps=1001), "more than the 1000"),
    (dict(steps=0), "at least 1"),
    (dict(timesteps=[]), "empty"),
])
def test_bad_plans_get_one_line(bad, message):
    with pytest.raises(SQLDiffusionError) as e:
        planned(**bad)
    assert message in str(e.value) and "\n" not in str(e.value)


def test_colour_art_shows_two_pixels_per_character():
    image = np.zeros((4, 4, 3), np.uint8)
    image[:2] = [255, 0, 0]
    image[2:] = [0, 0, 255]
    art = colour_art(image, columns=4)
    lines = art.split("\n")
    assert len(lines) == 2
    assert lines[0].count("\x1b[38;2;255;0;0m\x1b[48;2;255;0;0m\u2580") == 4
    assert lines[1].count("\x1b[38;2;0;0;255m\x1b[48;2;0;0;255m\u2580") == 4


def test_ascii_ramp_ends():
    white = np.full((8, 8, 3), 255, np.uint8)
    black = np.zeros((8, 8, 3), np.uint8)
    assert set(ascii_art(white, columns=8)) <= {" ", "\n"}
    assert set(ascii_art(black, columns=8)) <= {"@", "\n"}


def test_grid_layout():
    images = np.stack([np.full((2, 2, 3), i, np.uint8) for i in range(5)])
    g = grid(images, gap=1)  # 3 columns, 2 rows
    assert g.shape == (5, 8, 3)
    assert g[3, 0, 0] == 3 and g[3, 3, 0] == 4 and g[3, 6, 0] == 255


def test_the_progress_bar_is_tqdms_counts_steps_shows_the_timestep_and_calls_on():
    """As diffusers draws it: tqdm.auto (a widget in a notebook), configured by set_progress_bar_config."""
    import io

    from tqdm.auto import tqdm

    from sqldiffusion.pipeline import SQLDiffusionPipeline, Step, advancing

    pipe = SQLDiffusionPipeline.__new__(SQLDiffusionPipeline)  # the bar needs no model
    pipe.set_progress_bar_config(file=io.StringIO(), disable=False, ascii=True, desc="sampling")
    seen = []
    with pipe.progress_bar(4) as bar:
        assert isinstance(bar, tqdm)
        on_step = advancing(bar, lambda step, peek: seen.append(step.timestep))
        for i, t in enumerate([750, 500, 250, 0]):
            on_step(Step(i, 4, t, t - 250), None)
        assert bar.n == 4
    drawn = pipe._progress_bar_config["file"].getvalue()
    assert seen == [750, 500, 250, 0]
    assert "sampling" in drawn and "4/4" in drawn and "t=0" in drawn and "t=750" in drawn


def test_the_progress_bar_stays_silent_off_a_terminal_unless_asked(tmp_path):
    """tqdm's disable=None: drawn on a terminal only; a pipe or a file gets nothing."""
    import subprocess
    import sys

    script = ("from sqldiffusion.pipeline import SQLDiffusionPipeline, Step, advancing\n"
              "pipe = SQLDiffusionPipeline.__new__(SQLDiffusionPipeline)\n"
              "pipe.set_progress_bar_config(**eval(__import__('sys').argv[1]))\n"
              "with pipe.progress_bar(2) as bar:\n"
              "    on = advancing(bar)\n"
              "    on(Step(0, 2, 500, 0), None); on(Step(1, 2, 0, 0), None)\n")
    quiet = subprocess.run([sys.executable, "-c", script, "{}"], capture_output=True, text=True)
    asked = subprocess.run([sys.executable, "-c", script, "{'disable': False}"], capture_output=True, text=True)
    assert quiet.returncode == asked.returncode == 0, quiet.stderr + asked.stderr
    assert quiet.stderr == "" and "2/2" in asked.stderr and "t=0" in asked.stderr


def test_stretched_ascii_spreads_a_pale_picture_over_the_whole_ramp():
    from sqldiffusion.pictures import RAMP

    pale = np.full((8, 8, 3), 200, np.uint8)
    pale[:, :4] = 230  # two pale greys, 30 apart
    plain, stretched = ascii_art(pale, columns=8), ascii_art(pale, columns=8, stretch=True)
    assert len(set(plain) - {"\n"}) == 2 and "@" not in plain
    assert stretched.splitlines()[0] == " " * 4 + RAMP[-1] * 4  # lightest blank, darkest the densest
    flat = np.full((8, 8, 3), 90, np.uint8)
    assert ascii_art(flat, columns=8, stretch=True) == ascii_art(flat, columns=8)


@pytest.mark.parametrize("colorterm, tty, expected", [("truecolor", True, True), ("24bit", True, True),
                                                      ("truecolor", False, False), ("", True, False)])
def test_colour_is_the_default_where_the_terminal_shows_it(monkeypatch, colorterm, tty, expected):
    from sqldiffusion.pictures import truecolour_terminal

    class Stream:
        def isatty(self):
            return tty

    monkeypatch.setenv("COLORTERM", colorterm)
    assert truecolour_terminal(Stream()) is expected
