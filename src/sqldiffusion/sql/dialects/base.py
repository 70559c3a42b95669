"""What every dialect shares: quoting names, naming parameter tables, dispatching on the op."""

from __future__ import annotations

from ...graph.ops import Node
from ..render import LayerTables


class Dialect:
    name = ""
    variants: frozenset[str] = frozenset()  # parameter variants this dialect stores and reads

    @staticmethod
    def quote(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    def table(self, schema: str, name: str) -> str:
        return f"{self.quote(schema)}.{self.quote(name)}"

    def stored_variants(self, layer) -> list[str]:
        return [v for v in layer.variants if v in self.variants]

    def layer_tables(self, schema: str, layer) -> LayerTables:
        variants = {v: self.table(schema, f"{layer.name}#{v}") for v in self.stored_variants(layer)}
        return LayerTables(self.table(schema, layer.name), variants)

    def select(self, node: Node, inputs: list, param: str | None) -> str:
        """The SELECT computing `node` from its input relations (`Relation`s) and its parameter table."""
        return getattr(self, node.op)(node, inputs, param)
