"""Rendering the graph into SQL programs, one dialect per engine."""

from .render import Program, Statement, render

__all__ = ["Program", "Statement", "render"]
