"""export-web of a text-to-image pipeline folder: refused in one line (the page has no prompt box nor
a text encoder to run), leaving nothing behind."""

from __future__ import annotations

from click.testing import CliRunner
from test_text_to_image import sd1  # noqa: F401 - the fixture: a tiny StableDiffusionPipeline folder

from sqldiffusion.cli import cli
from sqldiffusion.errors import SQLDiffusionError


def test_export_web_refuses_a_text_model_in_one_line(sd1, tmp_path):  # noqa: F811
    folder = str(sd1[1])
    done = CliRunner().invoke(cli, ["export-web", str(tmp_path / "page"), "--model", folder])
    assert isinstance(done.exception, SQLDiffusionError)
    assert str(done.exception) == (f"export-web runs models without text for now; {folder} is a text-to-image "
                                   "model (its UNet2DConditionModel reads a prompt's encoding)")
    assert not (tmp_path / "page").exists()
