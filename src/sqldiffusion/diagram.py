"""A model's UNet as the page draws it: its top-level diffusers modules, in the order a pass runs
them, each with the statements of the SQL program that compute it, and the skip connections: all
read from the program (what each statement reads), never from a graph built again."""

from __future__ import annotations

from .program import Program

# where each top-level module sits in the drawing: the time embedding beside the network, the
# down path, the middle, the up path, then the output
ROLES = {"time_proj": "time", "time_embedding": "time", "center_input_sample": "in", "conv_in": "in",
         "mid_block": "mid", "conv_norm_out": "out", "conv_act": "out", "conv_out": "out"}


def module_of(label: str) -> str:
    """The top-level diffusers module a statement's label belongs to: `down_blocks.1` for
    `down_blocks.1.resnets.0.conv1`, `time_embedding` for `time_proj` and `time_embedding.*`,
    else the label's first part."""
    parts = label.split(".")
    if parts[0] in ("down_blocks", "up_blocks") and len(parts) > 1:
        return ".".join(parts[:2])
    if parts[0] == "time_proj":
        return "time_embedding"
    return parts[0]


def statement_sql(target: str, sql: str) -> str:
    """A statement as the engine runs it (and `--show-sql` prints it)."""
    return f"CREATE TEMP TABLE {target} AS\n{sql};"


def diagram(config, program: Program) -> dict:
    """Blocks (name, role in the drawing, block type, output shape, statements) and skips (from, to), as JSON."""
    blocks: dict[str, dict] = {}
    for index, s in enumerate(program.statements):
        name = module_of(s.label)
        block = blocks.setdefault(name, {"name": name, "role": _role(name), "type": _block_type(config, name),
                                         "shape": [], "statements": []})
        block["shape"] = list(s.shape)  # the module's output: what its last statement makes
        block["statements"].append({"index": index, "target": s.target, "label": s.label, "category": s.category,
                                    "op": s.op, "shape": list(s.shape), "sql": statement_sql(s.target, s.sql)})
    made_by = {s.target: s.label for s in program.statements}
    skips: list[list[str]] = []
    for s in program.statements:
        if s.op == "concat":  # reads the up path, then the skip
            pair = [module_of(made_by.get(s.reads[1], s.reads[1])), module_of(s.label)]
            if pair[0] != pair[1] and pair not in skips:
                skips.append(pair)
    return {"blocks": list(blocks.values()), "skips": skips, "statements": len(program.statements)}


def _role(name: str) -> str:
    return ROLES.get(name) or ("down" if name.startswith("down_blocks") else "up" if name.startswith("up_blocks")
                               else "other")


def _block_type(config, name: str) -> str:
    part, _, index = name.partition(".")
    raw = config.raw
    if part == "down_blocks":
        return raw["down_block_types"][int(index)]
    if part == "up_blocks":
        return raw["up_block_types"][int(index)]
    if part == "mid_block":
        return raw.get("mid_block_type") or "UNetMidBlock2D"
    return ""
