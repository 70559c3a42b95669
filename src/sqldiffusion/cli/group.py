"""The `sqldiffusion` group, which every command module registers its commands on."""

from __future__ import annotations

import click


@click.group()
@click.version_option(package_name="sqldiffusion")
def cli() -> None:
    """Diffusion models whose whole neural network runs as SQL inside a database."""
