"""Plans of timesteps and the pictures drawn from samples: pure Python, no torch, no database."""

from __future__ import annotations

import numpy as np
import pytest

from sqldiffusion import SQLDiffusionError
from sqldiffusion.pictures import ascii_art, colour_art, grid
from sqldiffusion.scheduler import NoiseSchedule
from sqldiffusion.schedulers import plan


def test_plan_of_a_custom_list_and_of_every_step():
    assert plan(NoiseSchedule(), timesteps=[500, 250, 125, 60, 0]) == [500, 250, 125, 60, 0]
    assert plan(NoiseSchedule()) == list(range(999, -1, -1))


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
        plan(NoiseSchedule(), **bad)
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


def test_the_progress_bar_counts_steps_and_calls_on(capsys):
    from sqldiffusion.pipeline import Step
    from sqldiffusion.progress import ProgressBar

    seen = []
    with ProgressBar(4, enabled=True) as bar:
        on_step = bar.chain(lambda step, peek: seen.append(step.timestep))
        for i, t in enumerate([750, 500, 250, 0]):
            on_step(Step(i, 4, t, t - 250), None)
    drawn = capsys.readouterr().err
    assert seen == [750, 500, 250, 0]
    assert "[" + "-" * 30 + "] 0/4" in drawn and "[" + "#" * 30 + "] 4/4 t=0" in drawn and drawn.endswith("\n")
    with ProgressBar(4, enabled=False) as bar:
        bar.advance(Step(0, 4, 750, 500))
    assert capsys.readouterr().err == ""


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
