"""A VQModel whose codebook has more codes than a PostgreSQL table has columns (MAX_COLUMNS): the
PostgreSQL dialect reads the codebook a row per code (its lowering), and the decode, quantisation
included, equals diffusers'. Tiny channels, 2,000 codes."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import random_sample
from test_autoencoders import SIZE, VQ, assert_close, decoded, make

from sqldiffusion.backends.postgres.dialect import CODEBOOK, MAX_COLUMNS, PostgresDialect
from sqldiffusion.model import load_autoencoder
from sqldiffusion.sql_autoencoder import DECODE, SQLAutoencoder

torch = pytest.importorskip("torch")
diffusers = pytest.importorskip("diffusers")

CODES = 2000


@pytest.fixture(scope="module")
def big_codebook(tmp_path_factory):
    model = make("VQModel", {**VQ, "num_vq_embeddings": CODES})
    folder = tmp_path_factory.mktemp("codebook") / "vqvae"
    model.save_pretrained(folder)
    return model, folder


def test_the_lowering_reads_the_codebook_a_row_per_code(big_codebook):
    """No relation of a column per code is left, and the codebook's node reads the codes."""
    assert CODES + 3 > MAX_COLUMNS
    _, folder = big_codebook
    loaded = load_autoencoder(folder)
    built = loaded.network.graph(loaded.config, SIZE, SIZE, DECODE)
    lowered = PostgresDialect().lower(built)
    assert len(lowered.nodes) == len(built.nodes) - 1
    assert max(n.channels for n in lowered.nodes if n.shape) < MAX_COLUMNS
    (book,) = [n for n in lowered.nodes if n.op == CODEBOOK]
    assert lowered[book.inputs[0]].op == "codes" and book.layer.name == "quantize.embedding"
    assert lowered.layers == built.layers  # the same tables: the import is unchanged


def test_a_codebook_of_2000_codes_decodes_on_postgres_as_diffusers(big_codebook, pg_engine):
    model, folder = big_codebook
    latents = random_sample(1, VQ["vq_embed_dim"], SIZE // 2, seed=11)
    vae = SQLAutoencoder(folder, pg_engine)
    assert_close(vae.decode(latents), decoded(model, latents))
    # the codebook vectors themselves, from all over it (past the first CHUNK): each quantises to itself
    codebook = model.quantize.embedding.weight.detach().numpy()
    picked = codebook[np.random.default_rng(0).integers(0, CODES, (1, SIZE // 2, SIZE // 2))]
    exact = np.ascontiguousarray(picked.transpose(0, 3, 1, 2))
    assert_close(vae.decode(exact), decoded(model, exact, force_not_quantize=True))
