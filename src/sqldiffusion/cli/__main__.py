"""`python -m sqldiffusion.cli`: the command, as the `sqldiffusion` script runs it."""

from . import main

main()
