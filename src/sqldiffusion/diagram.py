"""A model's UNet as the page draws it: its top-level diffusers modules, in the order a pass runs
them, each with the statements of the SQL program that compute it, and the skip connections: all
read from the program (what each statement reads), never from a graph built again. A text UNet's
Transformer2DModels (its cross-attention) are blocks of their own inside their block. A latent
model's decoder and a text model's text encoder are drawn the same way, as chains of their
modules (`decoder_diagram`, `text_encoder_diagram`)."""

from __future__ import annotations

from .program import Program

# where each top-level module sits in the drawing: the time embedding beside the network, the
# down path, the middle, the up path, then the output
ROLES = {"time_proj": "time", "time_embedding": "time", "center_input_sample": "in", "conv_in": "in",
         "mid_block": "mid", "conv_norm_out": "out", "conv_act": "out", "conv_out": "out"}
# the parts of a Transformer2DModel (a text UNet's `attentions.k`): a pixel UNet's attention has others
TRANSFORMER_PARTS = ("norm", "proj_in", "proj_out", "transformer_blocks")


def module_of(label: str) -> str:
    """The diffusers module a statement's label belongs to in the drawing: `down_blocks.1` for
    `down_blocks.1.resnets.0.conv1`, `time_embedding` for `time_proj` and `time_embedding.*`,
    a Transformer2DModel for its statements (`mid_block.attentions.0` for
    `mid_block.attentions.0.transformer_blocks.0.attn2.kv`), else the label's first part."""
    top = top_module_of(label)
    rest = label.split(".")[len(top.split(".")):]
    if len(rest) > 2 and rest[0] == "attentions" and rest[2] in TRANSFORMER_PARTS:
        return ".".join([top, *rest[:2]])
    return top


def top_module_of(label: str) -> str:
    """The top-level diffusers module a statement's label belongs to: `down_blocks.1` for
    `down_blocks.1.attentions.0.proj_in`, `time_embedding` for `time_proj`, else the first part."""
    parts = label.split(".")
    if parts[0] in ("down_blocks", "up_blocks") and len(parts) > 1:
        return ".".join(parts[:2])
    if parts[0] == "time_proj":
        return "time_embedding"
    return parts[0]


def text_module_of(label: str) -> str:
    """The module of a CLIP text encoder a statement's label belongs to, named as transformers
    names it: `text_model.encoder.layers.3` for `text_model.encoder.layers.3.mlp.fc1`,
    `text_model.embeddings`, `text_model.final_layer_norm`."""
    parts = label.split(".")
    if parts[1:3] == ["encoder", "layers"] and len(parts) > 3:
        return ".".join(parts[:4])
    return ".".join(parts[:2])


def decoder_module_of(label: str) -> str:
    """The module of an autoencoder's decoder a statement's label belongs to, named as diffusers
    names it in the autoencoder: `decoder.up_blocks.1` for `decoder.up_blocks.1.resnets.0.conv1`,
    TAESD's `decoder.layers.2` for `decoder.layers.2.conv.0`, `quantize` for `quantize.one_hot`."""
    parts = label.split(".")
    if parts[0] != "decoder" or len(parts) < 2:
        return parts[0]
    if parts[1] in ("up_blocks", "layers") and len(parts) > 2:
        return ".".join(parts[:3])
    return ".".join(parts[:2])


def statement_sql(target: str, sql: str) -> str:
    """A statement as the engine runs it (and `--show-sql` prints it)."""
    return f"CREATE TEMP TABLE {target} AS\n{sql};"


def diagram(config, program: Program) -> dict:
    """Blocks (name, role in the drawing, block type, output shape, statements; a Transformer2DModel's
    `parent`, the block it sits in) and skips (from, to; top-level blocks), as JSON."""
    blocks = _blocks(program, module_of, lambda name: _role(top_module_of(name)),
                     lambda name, block: _block_type(config, name))
    for name, block in blocks.items():
        if top_module_of(name) != name:
            block["parent"] = top_module_of(name)
    made_by = {s.target: s.label for s in program.statements}
    skips: list[list[str]] = []
    for s in program.statements:
        if s.op == "concat":  # reads the up path, then the skip
            pair = [top_module_of(made_by.get(s.reads[1], s.reads[1])), top_module_of(s.label)]
            if pair[0] != pair[1] and pair not in skips:
                skips.append(pair)
    return {"blocks": list(blocks.values()), "skips": skips, "statements": len(program.statements), "layout": "u"}


def decoder_diagram(config, program: Program) -> dict:
    """An autoencoder's decoder as `diagram` gives a UNet: its modules (role "decoder") in the order
    its program runs them, drawn as a chain (no skips)."""
    blocks = _blocks(program, decoder_module_of, lambda name: "decoder",
                     lambda name, block: _decoder_block_type(config, name, block))
    return {"blocks": list(blocks.values()), "skips": [], "statements": len(program.statements), "layout": "chain"}


def text_encoder_diagram(config, program: Program) -> dict:
    """A text encoder as `decoder_diagram` gives a decoder: its modules (role "text") in the order
    its program runs them, a chain."""
    blocks = _blocks(program, text_module_of, lambda name: "text", lambda name, block: _text_block_type(name))
    return {"blocks": list(blocks.values()), "skips": [], "statements": len(program.statements), "layout": "chain"}


def _text_block_type(name: str) -> str:
    part = name.split(".")[1]
    return {"embeddings": "CLIPTextEmbeddings", "encoder": "CLIPEncoderLayer", "final_layer_norm": "LayerNorm"}.get(
        part, "")


def _blocks(program: Program, module, role, block_type) -> dict[str, dict]:
    """The program's statements grouped by `module(label)`, in the order they first run."""
    blocks: dict[str, dict] = {}
    for index, s in enumerate(program.statements):
        name = module(s.label)
        block = blocks.setdefault(name, {"name": name, "role": role(name), "type": "", "shape": [], "statements": []})
        block["shape"] = list(s.shape)  # the module's output: what its last statement makes
        block["statements"].append({"index": index, "target": s.target, "label": s.label, "category": s.category,
                                    "op": s.op, "shape": list(s.shape), "sql": statement_sql(s.target, s.sql)})
    for name, block in blocks.items():
        block["type"] = block_type(name, block)
    return blocks


def _decoder_block_type(config, name: str, block: dict) -> str:
    parts = name.split(".")
    if parts[1:2] == ["up_blocks"]:
        types, index = config.raw.get("up_block_types") or [], int(parts[2])
        return types[index] if index < len(types) else "UpDecoderBlock2D"
    if parts[1:2] == ["mid_block"]:
        return "UNetMidBlock2D"
    if parts[1:2] == ["layers"]:
        convs = any(".conv." in s["label"] for s in block["statements"])
        return "AutoencoderTinyBlock" if convs else "Conv2d"
    return ""


def _role(name: str) -> str:
    return ROLES.get(name) or ("down" if name.startswith("down_blocks") else "up" if name.startswith("up_blocks")
                               else "other")


def _block_type(config, name: str) -> str:
    if top_module_of(name) != name:
        return "Transformer2DModel"
    part, _, index = name.partition(".")
    raw = config.raw
    if part == "down_blocks":
        return raw["down_block_types"][int(index)]
    if part == "up_blocks":
        return raw["up_block_types"][int(index)]
    if part == "mid_block":
        return raw.get("mid_block_type") or "UNetMidBlock2D"
    return ""
