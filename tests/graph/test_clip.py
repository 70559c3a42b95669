"""The CLIP text encoder as SQL against transformers' CLIPTextModel, and the prompt tokenizer against
transformers' CLIPTokenizer: random tiny encoders saved with save_pretrained, their hidden states to
1e-4 of the range (quick_gelu and gelu, clip_skip as diffusers' encode_prompt applies it). Every
case on DuckDB; one case on each other engine (marked slow by conftest)."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
from test_errors import error_of

from sqldiffusion.backends import get_engine
from sqldiffusion.errors import SQLDiffusionError
from sqldiffusion.model import load_text_encoder
from sqldiffusion.sql_text_encoder import SQLTextEncoder
from sqldiffusion.tokenizer import MAX_PROMPT_BYTES, PromptTokenizer

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

LENGTH = 16  # the tokenizer's model_max_length and the encoder's max_position_embeddings
TINY = dict(vocab_size=600, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
            max_position_embeddings=LENGTH, bos_token_id=520, eos_token_id=521, pad_token_id=521)


def make(hidden_act: str, seed: int = 0):
    """A transformers CLIPTextModel with every parameter perturbed (norms' ones and zeros hide bugs)."""
    torch.manual_seed(seed)
    model = transformers.CLIPTextModel(transformers.CLIPTextConfig(**TINY, hidden_act=hidden_act)).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    return model


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """Each activation's encoder, saved as a pipeline's text_encoder/ holds it."""
    made = {}
    for act in ("quick_gelu", "gelu"):
        model = make(act)
        folder = tmp_path_factory.mktemp(act) / "text_encoder"
        model.save_pretrained(folder)
        made[act] = (model, folder)
    return made


@pytest.fixture(scope="module")
def duckdb():
    engine = get_engine("duckdb")
    yield engine
    engine.close()


def reference(model, ids: np.ndarray, clip_skip: int | None = None) -> np.ndarray:
    """The prompt embeddings diffusers' StableDiffusionPipeline.encode_prompt takes from the encoder."""
    with torch.no_grad():
        out = model(torch.from_numpy(ids), output_hidden_states=True)
        if clip_skip is None:
            return out.last_hidden_state.numpy()
        transformer = getattr(model, "text_model", model)  # transformers 5 dropped the wrapper
        return transformer.final_layer_norm(out.hidden_states[-(clip_skip + 1)]).numpy()


def assert_close(got, expected):
    spread = float(expected.max() - expected.min())
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() <= 1e-4 * spread, np.abs(got - expected).max() / spread


IDS = np.random.default_rng(1).integers(0, TINY["vocab_size"], (2, LENGTH))


@pytest.mark.parametrize("act, clip_skip", [("quick_gelu", None), ("gelu", None), ("quick_gelu", 1), ("gelu", 2)])
def test_the_hidden_states_are_transformers(saved, duckdb, act, clip_skip):
    model, folder = saved[act]
    encoder = SQLTextEncoder(folder.parent, engine=duckdb)  # the pipeline folder: its text_encoder/
    assert_close(encoder.encode(IDS, clip_skip=clip_skip), reference(model, IDS, clip_skip))


def test_one_case_on_every_engine(saved, every_engine):
    model, folder = saved["gelu"]
    encoder = SQLTextEncoder(folder, engine=every_engine)
    ids = IDS[:, :7]  # a shorter sequence than the position table
    assert_close(encoder.encode(ids, clip_skip=1), reference(model, ids, 1))


def test_fp16_weights_and_the_names_earlier_transformers_saved(saved, duckdb, tmp_path):
    """A text_encoder saved in fp16 (model.fp16.safetensors), and one as the Hub's Stable Diffusion
    folders hold it: every name under text_model., with the int64 position ids (dropped)."""
    from safetensors.numpy import save_file

    model, _ = saved["quick_gelu"]
    half = tmp_path / "half"
    copy.deepcopy(model).to(torch.float16).save_pretrained(half, variant="fp16")
    assert (half / "model.fp16.safetensors").exists()
    rounded = transformers.CLIPTextModel.from_pretrained(half, variant="fp16", dtype=torch.float32).eval()
    assert_close(SQLTextEncoder(half, engine=duckdb).encode(IDS), reference(rounded, IDS))

    legacy = tmp_path / "legacy"
    legacy.mkdir()
    tensors = {f"text_model.{name.removeprefix('text_model.')}": t.numpy() for name, t in model.state_dict().items()}
    tensors["text_model.embeddings.position_ids"] = np.arange(LENGTH, dtype=np.int64)[None]
    save_file(tensors, legacy / "model.safetensors")
    (legacy / "config.json").write_text(json.dumps({**TINY, "architectures": ["CLIPTextModel"],
                                                    "hidden_act": "quick_gelu", "projection_dim": 512}))
    assert_close(SQLTextEncoder(legacy, engine=duckdb).encode(IDS[:1]), reference(model, IDS[:1]))


def test_the_output_stays_in_the_relation_the_unet_reads(saved, duckdb):
    from sqldiffusion.program import INPUTS, TEXT, TOKENS

    model, folder = saved["quick_gelu"]
    encoder = SQLTextEncoder(folder, engine=duckdb)
    assert encoder.encode_into(IDS) == TEXT == INPUTS["encoder_hidden_states"]
    try:
        hidden = duckdb.fetch_image(TEXT, (2, TINY["hidden_size"], 1, LENGTH))
    finally:
        duckdb.drop(TEXT)
    assert_close(hidden[:, :, 0].transpose(0, 2, 1), reference(model, IDS))
    tables = {row[0] for row in duckdb.query("SELECT table_name FROM duckdb_tables() WHERE temporary")}
    assert not tables & {TOKENS, TEXT} and not any(t.startswith("sqld_txt_t") for t in tables)


# ---- what is refused, in one line -----------------------------------------------------------------
def with_config(folder, **changes):
    path = folder / "config.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **changes}))
    return folder


@pytest.mark.parametrize("changes, said", [
    ({"hidden_act": "gelu_new"}, "hidden_act='gelu_new' is not supported"),
    ({"architectures": ["CLIPTextModelWithProjection"]}, "architectures"),
    ({"model_type": "clip_vision_model"}, "model_type"),
    ({"num_attention_heads": 5}, "does not divide"),
    ({"layer_norm_eps": -1}, "layer_norm_eps"),
    ({"vocab_size": "many"}, "vocab_size"),
])
def test_options_it_does_not_run_are_refused(saved, tmp_path, changes, said):
    import shutil

    folder = with_config(shutil.copytree(saved["gelu"][1], tmp_path / "text_encoder"), **changes)
    assert said in error_of(load_text_encoder, folder)


def test_bad_ids_and_clip_skip_are_refused(saved, duckdb):
    encoder = SQLTextEncoder(saved["gelu"][1], engine=duckdb)
    assert "600 tokens" in error_of(encoder.encode, np.array([[0, 600]]))
    assert "whole numbers" in error_of(encoder.encode, np.zeros((1, 4)))
    assert "1 to 16" in error_of(encoder.encode, np.zeros((1, 17), dtype=np.int64))
    assert "clip_skip 3" in error_of(encoder.encode, IDS, clip_skip=3)


# ---- the tokenizer --------------------------------------------------------------------------------
MERGES = [("t", "h"), ("th", "e</w>"), ("c", "a"), ("ca", "t</w>"), ("a", "n"), ("an", "d</w>"), ("o", "n"),
          ("i", "n</w>")]


def byte_characters() -> list[str]:
    """GPT-2's (and CLIP's) printable stand-in for each byte, in byte-vocabulary order."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    others = [b for b in range(256) if b not in printable]
    return [chr(b) for b in printable] + [chr(256 + n) for n in range(len(others))]


@pytest.fixture(scope="module")
def tokenizer_folder(tmp_path_factory):
    """A CLIP tokenizer of a few merges, laid out as a pipeline's tokenizer/: CLIP's vocabulary
    order (the bytes, the bytes ending a word, each merge, the start and end tokens)."""
    folder = tmp_path_factory.mktemp("pipeline") / "tokenizer"
    folder.mkdir()
    chars = byte_characters()
    tokens = chars + [c + "</w>" for c in chars] + ["".join(m) for m in MERGES] + ["<|startoftext|>", "<|endoftext|>"]
    (folder / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(tokens)}))
    (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(" ".join(m) for m in MERGES) + "\n")
    (folder / "tokenizer_config.json").write_text(json.dumps({
        "model_max_length": LENGTH, "bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>",
        "pad_token": "<|endoftext|>", "unk_token": "<|endoftext|>", "do_lower_case": True,
        "tokenizer_class": "CLIPTokenizer"}))
    return folder


ODD_PROMPTS = {"empty": "", "unicode": "Ünï 猫 🐱", "quotes": "\"the cat\" 'and'",
               "spaces": "  the\tcat\n\nand  the  dog  "}


@pytest.mark.parametrize("name", list(ODD_PROMPTS))
def test_the_ids_are_transformers_padded_as_diffusers_pads(tokenizer_folder, name):
    prompt = ODD_PROMPTS[name]
    reference_tokenizer = transformers.CLIPTokenizer.from_pretrained(tokenizer_folder)
    expected = reference_tokenizer(prompt, padding="max_length", max_length=LENGTH, truncation=True).input_ids
    cut = []
    ids = PromptTokenizer(tokenizer_folder.parent)(prompt, on_cut=cut.append)
    assert ids.tolist() == [expected] and ids.shape == (1, LENGTH) and not cut
    assert ids[0, 0] == reference_tokenizer.bos_token_id and reference_tokenizer.eos_token_id in ids[0]


def test_a_long_prompt_is_cut_and_said_so_in_one_line(tokenizer_folder):
    words = " ".join(["the cat and the dog"] * 40)  # 200 words
    tokenize = PromptTokenizer(tokenizer_folder)
    reference_tokenizer = transformers.CLIPTokenizer.from_pretrained(tokenizer_folder)
    cut = []
    ids = tokenize([words, "the cat"], on_cut=cut.append)
    expected = reference_tokenizer([words, "the cat"], padding="max_length", max_length=LENGTH, truncation=True)
    assert ids.tolist() == expected.input_ids
    assert ids[0, -1] == reference_tokenizer.eos_token_id  # cut, then ended
    # what diffusers' encode_prompt logs: the untruncated ids from model_max_length - 1 to the end token
    untruncated = reference_tokenizer([words, "the cat"], padding="longest").input_ids
    removed = reference_tokenizer.batch_decode([row[LENGTH - 1:-1] for row in untruncated])
    assert len(cut) == 1 and "\n" not in cut[0] and cut[0].endswith(f"up to {LENGTH} tokens: {removed}")


def test_the_text_encoder_reads_the_tokenizers_ids(tokenizer_folder, saved, duckdb):
    """A prompt through both, as a pipeline runs them, against transformers'."""
    model, folder = saved["quick_gelu"]
    ids = PromptTokenizer(tokenizer_folder)(["a cat in the hat", ""])
    assert_close(SQLTextEncoder(folder, engine=duckdb).encode(ids), reference(model, ids))


@pytest.mark.parametrize("prompt, said", [
    ("x" * (MAX_PROMPT_BYTES + 1), f"at most {MAX_PROMPT_BYTES}"),
    ("é" * (MAX_PROMPT_BYTES // 2 + 1), "bytes long"),
    ("a cat\x00", "U+0000"),
    ("a\x1b[31m cat", "U+001B"),
    ("a \ud800 cat", "lone surrogate"),
    (42, "give text"),
])
def test_bad_prompts_are_refused_in_one_line(tokenizer_folder, prompt, said):
    assert said in error_of(PromptTokenizer(tokenizer_folder), prompt)


def test_without_transformers_one_line_says_what_to_install(tokenizer_folder, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "transformers", None)  # as if not installed
    assert "pip install 'sqldiffusion[text]'" in error_of(PromptTokenizer, tokenizer_folder)


def test_a_folder_without_a_tokenizer_is_refused(tmp_path):
    assert "vocab.json" in error_of(PromptTokenizer, tmp_path)
    with pytest.raises(SQLDiffusionError):
        PromptTokenizer(tmp_path / "missing")


def test_a_kept_import_is_checked_when_read_again(saved, tmp_path):
    """The token table (a row per entry) of an import kept in a database file, every value read as
    for a file another user made: used when whole, refused in one line once an entry is gone."""
    model, folder = saved["gelu"]
    database = str(tmp_path / "weights.duckdb")
    SQLTextEncoder(folder, "duckdb", database).engine.close()
    engine = get_engine("duckdb", database)
    engine.check_values = True
    try:
        again = SQLTextEncoder(folder, engine=engine)
        assert_close(again.encode(IDS[:1]), reference(model, IDS[:1]))
        table = engine.dialect.table(again.namespace, "text_model.embeddings.token_embedding")
        engine.execute_sql(f"DELETE FROM {table} WHERE o = 3")
        assert "damaged" in error_of(SQLTextEncoder, folder, engine=engine)
    finally:
        engine.close()
