"""The registry of networks and the program as the one artifact of a pass: a folder's components
are read by their classes, every graph is built once per config and size, and each statement says
what it reads, so that the diagram and the web export read the program alone.

None of these tests needs torch or a database.
"""

from __future__ import annotations

import dataclasses
import json
import shutil

import pytest
from test_errors import error_of
from test_structure import TINY, golden_dialect

from sqldiffusion.backends import BACKENDS
from sqldiffusion.diagram import diagram, module_of
from sqldiffusion.fields import declared_checks
from sqldiffusion.graph import NETWORKS, network_of
from sqldiffusion.graph.unet_config import UNetConfig
from sqldiffusion.model import load_model
from sqldiffusion.model.source import DEMO_FOLDER
from sqldiffusion.program import INPUTS, SAMPLE, render, render_unet

# each network's tiny settings (the UNet's: test_structure's)
_ENCODER_DECODER = dict(block_out_channels=[4, 8], down_block_types=["DownEncoderBlock2D"] * 2,
                        up_block_types=["UpDecoderBlock2D"] * 2, norm_num_groups=4)
TINY_OF = {"UNet2DModel": TINY, "AutoencoderKL": _ENCODER_DECODER,
           "VQModel": dict(_ENCODER_DECODER, num_vq_embeddings=8),
           "AutoencoderTiny": dict(encoder_block_out_channels=[4, 4], decoder_block_out_channels=[4, 4],
                                   num_encoder_blocks=[1, 1], num_decoder_blocks=[1, 1]),
           "UNet2DConditionModel": dict(block_out_channels=[8, 16], layers_per_block=1, norm_num_groups=4,
                                        down_block_types=["CrossAttnDownBlock2D", "DownBlock2D"],
                                        up_block_types=["UpBlock2D", "CrossAttnUpBlock2D"],
                                        cross_attention_dim=8, attention_head_dim=2),
           "CLIPTextModel": dict(vocab_size=50, hidden_size=8, intermediate_size=16, num_hidden_layers=1,
                                 num_attention_heads=2, max_position_embeddings=6)}


@pytest.fixture
def demo_copy(tmp_path):
    return shutil.copytree(DEMO_FOLDER, tmp_path / "model")


def with_index(folder, **components):
    index = json.loads((folder / "model_index.json").read_text())
    (folder / "model_index.json").write_text(json.dumps({**index, **components}))
    return folder


@pytest.mark.parametrize("name", list(NETWORKS))
def test_every_network_declares_each_config_field_with_its_check(name):
    network = NETWORKS[name]
    declared = set(declared_checks(network.config))
    settings = {f.name for f in dataclasses.fields(network.config) if f.name != "raw"}
    assert declared == settings, settings - declared


@pytest.mark.parametrize("name", list(NETWORKS))
def test_every_network_reads_what_its_entry_says(name):
    network = NETWORKS[name]
    graph = network.layers(network.config.from_dict(TINY_OF[name]))
    inputs = {node.op for node in graph.nodes if not node.inputs and node.op in (*INPUTS, "sample")}
    assert inputs and inputs <= set(network.reads)
    smallest = 1 if network.role == "text_encoder" else 2  # a text encoder's: a sequence (1 x 1 token)
    assert graph.layers and network.smallest_size(network.config.from_dict(TINY_OF[name])) == smallest


def test_a_graph_is_built_once_per_config_and_size():
    config = UNetConfig.from_dict(TINY)
    network = network_of(config)
    same = UNetConfig.from_dict(dict(TINY))
    assert network.graph(config, 8, 8) is network.graph(same, 8, 8)
    assert network.graph(config, 8, 8) is not network.graph(config, 16, 8)
    assert network.layers(config) is network.graph(config, 2, 2)


@pytest.mark.parametrize("name", list(BACKENDS))
def test_every_statement_records_the_relations_and_tables_it_reads(name):
    dialect = golden_dialect(name)
    config = UNetConfig.from_dict(TINY)
    graph = dialect.lower(network_of(config).graph(config, 8, 8))
    program = render(graph, dialect, "sqld_tiny")
    made = {SAMPLE, *INPUTS.values()}
    for statement in program.statements:
        assert set(statement.reads) <= made, statement.label  # each read is made before it
        made.add(statement.target)
    rendered = [node for node in graph.nodes if node.op not in INPUTS and node.op != "sample"]
    assert [s.label for s in program.statements] == [node.label for node in rendered]
    for statement, node in zip(program.statements, rendered):
        assert len(statement.reads) == len(node.inputs)
        assert statement.tables == ((dialect.table("sqld_tiny", node.layer.name),) if node.layer else ())
    assert program.tables() == [dialect.table("sqld_tiny", layer.name) for layer in graph.layers]


@pytest.mark.parametrize("name", list(BACKENDS))
def test_the_diagram_read_from_the_program_has_the_graphs_skips(name):
    dialect = golden_dialect(name)
    config = UNetConfig.from_dict(TINY)
    graph = dialect.lower(network_of(config).graph(config, 8, 8))
    expected = []
    for node in graph.nodes:
        pair = [module_of(graph[node.inputs[1]].label), module_of(node.label)] if node.op == "concat" else None
        if pair and pair[0] != pair[1] and pair not in expected:
            expected.append(pair)
    drawn = diagram(config, render_unet(config, 8, 8, dialect, "sqld_tiny"))
    assert drawn["skips"] == expected and len(expected) == 4  # each down block and conv_in to the up path
    assert [b["name"] for b in drawn["blocks"]][:3] == ["time_embedding", "conv_in", "down_blocks.0"]


def test_a_pipeline_folder_is_read_by_its_components_classes(demo_copy):
    model = load_model(with_index(demo_copy, scheduler=["diffusers", "LMSDiscreteScheduler"]))
    assert model.network is NETWORKS["UNet2DModel"] and model.config == load_model("demo").config


@pytest.mark.parametrize("components, named", [
    ({"scheduler": ["diffusers", "UNet2DModel"]}, "scheduler (UNet2DModel)"),
    ({"vae": ["diffusers", "AutoencoderKL"], "tokenizer": ["transformers", "CLIPTokenizer"]},
     "tokenizer (CLIPTokenizer)"),  # the autoencoder is run: only the tokenizer is named
    ({"unet": ["diffusers", "UNet3DConditionModel"]}, "unet (UNet3DConditionModel)"),
    ({"prior": ["diffusers", "UNet2DModel"]}, "prior (UNet2DModel)"),
])
def test_components_we_do_not_build_are_refused_in_one_line_naming_them(demo_copy, components, named):
    message = error_of(load_model, with_index(demo_copy, **components))
    assert named in message and "does not run yet" in message and "\n" not in message
