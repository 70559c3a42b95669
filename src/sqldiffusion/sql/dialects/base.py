"""What every dialect shares: quoting names, naming parameter tables, dispatching on the op."""

from __future__ import annotations

from ...graph.ops import Node


class Dialect:
    name = ""

    @staticmethod
    def quote(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    def table(self, schema: str, name: str) -> str:
        return f"{self.quote(schema)}.{self.quote(name)}"

    def select(self, node: Node, inputs: list, param: str | None) -> str:
        """The SELECT computing `node` from its input relations (`Relation`s) and its parameter table."""
        return getattr(self, node.op)(node, inputs, param)
