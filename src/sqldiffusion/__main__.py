"""`python -m sqldiffusion ...`: the same command line as `sqldiffusion ...`."""

from .cli import main

main()
