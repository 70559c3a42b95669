"""Every primitive of graph/ops.py on its own, on every engine, against torch: a graph of one
primitive (and the few nodes that feed it), its weights imported as any model's are, run by the
engine (Spark too). A bug in one backend's primitive fails here as that primitive, not as a
whole-UNet mismatch."""

from __future__ import annotations

import hashlib
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import random_sample

from sqldiffusion.graph.ops import OPS, Graph, Layer
from sqldiffusion.program import CLASS_LABELS, LATENTS, NOISE, PIXELS, SAMPLE, TEXT, TIMESTEPS, TOKENS, render
from sqldiffusion.schedulers.sql import noised, sampler_step, slerp

torch = pytest.importorskip("torch")


@pytest.fixture
def engine(every_engine):
    """Every registered engine, Spark too: each of these graphs is a few statements."""
    return every_engine
F = torch.nn.functional
B, C, H, W = 2, 8, 6, 6
TIMES = [999.0, 3.5]


class Weights:
    """What an engine's import reads of a model: its digest, name, config and named tensors."""

    def __init__(self, tensors: dict[str, np.ndarray]) -> None:
        self.arrays = {k: np.asarray(v, dtype=np.float32) for k, v in tensors.items()}
        digest = hashlib.sha256()
        for name in sorted(self.arrays):
            digest.update(name.encode() + self.arrays[name].tobytes())
        self.digest, self.name, self.config = digest.hexdigest(), "primitive", SimpleNamespace(raw={})

    def tensors(self, expected) -> dict[str, np.ndarray]:
        return {name: self.arrays[name] for name in expected}


def run(engine, graph: Graph, tensors: dict, sample=None, timesteps=TIMES, labels=None, images=None,
        prefix: str = "sqld_t") -> np.ndarray:
    """The graph's output on `engine`, as an array (B, C, H, W) or (B, C); `images`: other input
    relations the graph reads (name -> (B, C, H, W)); `prefix`: the names of the relations it makes
    (Hyper refills a relation of the same name, which must have the same columns)."""
    schema = engine.import_model(Weights(tensors), engine.dialect.stored_layers(graph))
    program = render(engine.dialect.lower(graph), engine.dialect, schema, prefix)
    images = {**({SAMPLE: sample} if sample is not None else {}), **(images or {})}
    try:
        for name, image in images.items():
            engine.put_image(name, image)
        out = engine.execute(program, timesteps, class_labels=labels)
        shape = graph[graph.output].shape
        return engine.fetch_image(out, (len(timesteps), *shape)) if len(shape) == 3 else engine.fetch_vectors(out)
    finally:
        engine.drop(SAMPLE, TIMESTEPS, CLASS_LABELS, *images, *(s.target for s in program.statements))


def close(got, expected, atol=1e-5):
    np.testing.assert_allclose(got, np.asarray(expected), atol=atol, rtol=1e-5)


def weights(*shape, seed=0):
    values = np.random.default_rng(seed).standard_normal(shape) / np.sqrt(np.prod(shape[1:]) or 1)
    return values.astype(np.float32)


def image_graph(channels=C, height=H, width=W):
    g = Graph()
    return g, g.add("sample", (), (channels, height, width), "sample")


def conv(g, x, name, cin, cout, **attrs):
    c, h, w = g[x].shape
    scale = 2 if attrs.get("upsample") else 1
    shape = (cout, h * scale // attrs.get("stride", 1), w * scale // attrs.get("stride", 1))
    layer = Layer(name, "conv3x3", {f"{name}.weight": (cout, cin, 3, 3), f"{name}.bias": (cout,)})
    inputs = (x,) if "add" not in attrs else (x, attrs.pop("add"))
    return g.add("conv3x3", inputs, shape, name, layer,
                 **{"stride": 1, "pad": 1, "upsample": False, "scale": 1.0, **attrs})


def conv_tensors(name, cin, cout, seed=0):
    return {f"{name}.weight": weights(cout, cin, 3, 3, seed=seed), f"{name}.bias": weights(cout, seed=seed + 1)}


def tt(a):
    return torch.from_numpy(np.asarray(a))


X = random_sample(B, C, H, seed=5)


@pytest.mark.parametrize("stride, pad, upsample", [(1, 1, False), (2, 1, False), (2, 0, False), (1, 1, True)],
                         ids=["same", "stride 2", "stride 2 padded after", "upsampled first"])
def test_conv3x3(engine, stride, pad, upsample):
    g, x = image_graph()
    g.output = conv(g, x, "c", C, 6, stride=stride, pad=pad, upsample=upsample)
    t = conv_tensors("c", C, 6)
    source = tt(X)
    if upsample:
        source = F.interpolate(source, scale_factor=2, mode="nearest")
    if pad == 0:  # diffusers' downsample_padding 0: one row and column of zeros after, none before
        source = F.pad(source, (0, 1, 0, 1))
    expected = F.conv2d(source, tt(t["c.weight"]), tt(t["c.bias"]), stride=stride, padding=pad)
    close(run(engine, g, t, X), expected)


def test_conv3x3_adds_a_residual_then_scales(engine):
    g, x = image_graph()
    skip = g.add("silu", (x,), g[x].shape, "skip")
    g.output = conv(g, x, "c", C, C, add=skip, scale=2.0)
    t = conv_tensors("c", C, C)
    expected = (F.conv2d(tt(X), tt(t["c.weight"]), tt(t["c.bias"]), padding=1) + F.silu(tt(X))) / 2
    close(run(engine, g, t, X), expected)


def test_winograd_conv3x3_on_duckdb():
    """DuckDB's lowering of a stride-1 3x3 convolution (F(2x2, 3x3), kernels transformed at import)."""
    from sqldiffusion.backends import get_engine
    from sqldiffusion.backends.duckdb.dialect import DuckDBDialect

    engine = get_engine("duckdb")
    engine.dialect = DuckDBDialect(parts=2, winograd_min_work=0, winograd_min_channels=1)
    try:
        g, x = image_graph()
        g.output = conv(g, x, "c", C, 6)
        assert engine.dialect.lower(g)[g.output].op == "winograd_conv3x3"
        t = conv_tensors("c", C, 6)
        close(run(engine, g, t, X), F.conv2d(tt(X), tt(t["c.weight"]), tt(t["c.bias"]), padding=1))
    finally:
        engine.close()


def dense_layer(name, cin, cout, conv1x1=False):
    shape = (cout, cin, 1, 1) if conv1x1 else (cout, cin)
    return Layer(name, "dense", {f"{name}.weight": shape, f"{name}.bias": (cout,)}), \
        {f"{name}.weight": weights(*shape, seed=2), f"{name}.bias": weights(cout, seed=3)}


def test_dense_as_a_1x1_convolution_with_a_residual(engine):
    g, x = image_graph()
    skip = g.add("silu", (x,), g[x].shape, "skip")
    layer, t = dense_layer("d", C, C, conv1x1=True)
    g.output = g.add("dense", (x, skip), (C, H, W), "d", layer, scale=1.5)
    expected = (F.conv2d(tt(X), tt(t["d.weight"]), tt(t["d.bias"])) + F.silu(tt(X))) / 1.5
    close(run(engine, g, t, X), expected)


def time_embedding(flip: bool, shift: float, dim: int = C):
    from diffusers.models.embeddings import get_timestep_embedding

    return get_timestep_embedding(torch.tensor(TIMES), dim, flip_sin_to_cos=flip, downscale_freq_shift=shift)


@pytest.mark.parametrize("flip, shift", [(True, 0.0), (False, 1.0)])
def test_time_proj(engine, flip, shift):
    g = Graph()
    t = g.add("timesteps", (), (), "timesteps")
    g.output = g.add("time_proj", (t,), (C,), "time_proj", flip_sin_to_cos=flip, freq_shift=shift)
    close(run(engine, g, {}), time_embedding(flip, shift))


def rounded_time_embedding(times, dim: int, flip: bool, shift: float) -> np.ndarray:
    """get_timestep_embedding by hand, rounded to float32 after every step as torch rounds, with
    exp, sin and cos computed in float64 and then rounded (torch's own float32 kernels are not
    correctly rounded: up to 3e-5 apart from this at t = 999 in 128 channels)."""
    f32, half = np.float32, dim // 2
    exponent = (f32(-np.log(10000.0)) * np.arange(half, dtype=f32)).astype(f32)
    frequency = np.exp((exponent / f32(half - shift)).astype(f32).astype(np.float64)).astype(f32)
    argument = (np.asarray(times, dtype=f32)[:, None] * frequency[None, :]).astype(f32).astype(np.float64)
    sin, cos = np.sin(argument).astype(f32), np.cos(argument).astype(f32)
    return np.concatenate([cos, sin] if flip else [sin, cos], axis=1)


@pytest.mark.parametrize("flip, shift, dim", [(True, 0.0, 128), (False, 1.0, 32)])
def test_time_proj_rounds_where_torch_rounds(engine, flip, shift, dim):
    """Every timestep of a 1000-step schedule, and fractional ones: the same bits on every engine
    (the rounding is written once, in Dialect.time_embedding), and within torch's own error."""
    times = [float(t) for t in range(1000)] + [0.5, 3.25, 999.75]
    g = Graph()
    t = g.add("timesteps", (), (), "timesteps")
    g.output = g.add("time_proj", (t,), (dim,), "time_proj", flip_sin_to_cos=flip, freq_shift=shift)
    got = run(engine, g, {}, timesteps=times)
    np.testing.assert_array_equal(got, rounded_time_embedding(times, dim, flip, shift))
    from diffusers.models.embeddings import get_timestep_embedding
    expected = get_timestep_embedding(torch.tensor(times), dim, flip_sin_to_cos=flip, downscale_freq_shift=shift)
    close(got, expected, atol=5e-5)


def test_dense_on_vectors_then_silu(engine):
    g = Graph()
    t = g.add("timesteps", (), (), "timesteps")
    p = g.add("time_proj", (t,), (C,), "time_proj", flip_sin_to_cos=True, freq_shift=0.0)
    layer, tensors = dense_layer("linear", C, 12)
    d = g.add("dense", (p,), (12,), "linear", layer)
    g.output = g.add("silu", (d,), (12,), "act")
    expected = F.silu(F.linear(time_embedding(True, 0.0), tt(tensors["linear.weight"]), tt(tensors["linear.bias"])))
    close(run(engine, g, tensors), expected)


@pytest.mark.parametrize("silu", [False, True])
def test_group_norm(engine, silu):
    g, x = image_graph()
    layer = Layer("n", "norm", {"n.weight": (C,), "n.bias": (C,)})
    g.output = g.add("group_norm", (x,), (C, H, W), "n", layer, groups=4, eps=1e-6, silu=silu)
    t = {"n.weight": 1 + weights(C, seed=4), "n.bias": weights(C, seed=5)}
    expected = F.group_norm(tt(X * 3 + 1), 4, tt(t["n.weight"]), tt(t["n.bias"]), eps=1e-6)
    close(run(engine, g, t, X * 3 + 1), F.silu(expected) if silu else expected)


def test_attention(engine):
    """The qkv projection (one stacked dense layer) and multi-head attention over the pixels."""
    g, x = image_graph()
    tensors, layer_tensors = {}, {}
    for k, p in enumerate("qkv"):
        for part, shape in (("weight", (C, C)), ("bias", (C,))):
            tensors[f"a.to_{p}.{part}"] = weights(*shape, seed=10 + 2 * k + (part == "bias"))
            layer_tensors[f"a.to_{p}.{part}"] = shape
    qkv = g.add("dense", (x,), (3 * C, H, W), "a.qkv", Layer("a.qkv", "qkv", layer_tensors), tag="attention")
    g.output = g.add("attention", (qkv,), (C, H, W), "a.attention", heads=2)
    tokens = tt(X).flatten(2).transpose(1, 2)  # (B, HW, C)
    q, k, v = (F.linear(tokens, tt(tensors[f"a.to_{p}.weight"]), tt(tensors[f"a.to_{p}.bias"])) for p in "qkv")
    split = lambda z: z.reshape(B, H * W, 2, C // 2).transpose(1, 2)  # noqa: E731
    out = F.scaled_dot_product_attention(split(q), split(k), split(v))  # (B, heads, HW, d)
    expected = out.transpose(1, 2).reshape(B, H * W, C).transpose(1, 2).reshape(B, C, H, W)
    close(run(engine, g, tensors, X), expected)


def test_cross_attention(engine):
    """The keys and values of a token sequence (one stacked dense layer, no biases) and multi-head
    attention of each pixel's query (a dense layer) over the tokens, batch items apart."""
    tokens, width = 5, 3
    text = random_sample(B, width, 1, tokens, seed=6)  # a token sequence (B, L, D) as an image (D, 1, L)
    g, x = image_graph()
    given = g.add("encoder_hidden_states", (), (width, 1, tokens), "encoder_hidden_states")
    tensors = {"a.to_q.weight": weights(C, C, seed=20), "a.to_k.weight": weights(C, width, seed=21),
               "a.to_v.weight": weights(C, width, seed=22)}
    q = g.add("dense", (x,), (C, H, W), "a.to_q", Layer("a.to_q", "dense", {"a.to_q.weight": (C, C)}))
    kv = g.add("dense", (given,), (2 * C, 1, tokens), "a.kv",
               Layer("a.kv", "kv", {f"a.to_{p}.weight": (C, width) for p in "kv"}))
    g.output = g.add("cross_attention", (q, kv), (C, H, W), "a.cross_attention", heads=2)
    pixels, words = tt(X).flatten(2).transpose(1, 2), tt(text)[:, :, 0].transpose(1, 2)  # (B, HW, C), (B, L, D)
    query, key, value = (F.linear(z, tt(tensors[f"a.to_{p}.weight"])) for z, p in ((pixels, "q"), (words, "k"),
                                                                                      (words, "v")))
    split = lambda z: z.reshape(B, z.shape[1], 2, C // 2).transpose(1, 2)  # noqa: E731
    out = F.scaled_dot_product_attention(split(query), split(key), split(value))  # (B, heads, HW, d)
    expected = out.transpose(1, 2).reshape(B, H * W, C).transpose(1, 2).reshape(B, C, H, W)
    close(run(engine, g, tensors, X, images={TEXT: text}), expected)


def test_silu_and_concat(engine):
    g, x = image_graph()
    s = g.add("silu", (x,), g[x].shape, "act")
    g.output = g.add("concat", (x, s), (2 * C, H, W), "cat")
    close(run(engine, g, {}, X), torch.cat([tt(X), F.silu(tt(X))], dim=1))


def test_upsample_and_avg_pool(engine):
    g, x = image_graph()
    up = g.add("upsample", (x,), (C, 2 * H, 2 * W), "up")
    s = g.add("silu", (up,), (C, 2 * H, 2 * W), "act")  # so that pooling does not undo upsampling exactly
    g.output = g.add("avg_pool", (s,), (C, H, W), "down")
    expected = F.avg_pool2d(F.silu(F.interpolate(tt(X), scale_factor=2, mode="nearest")), 2)
    close(run(engine, g, {}, X), expected)


def test_scale_shift(engine):
    g, x = image_graph()
    t = g.add("timesteps", (), (), "timesteps")
    p = g.add("time_proj", (t,), (C,), "time_proj", flip_sin_to_cos=True, freq_shift=0.0)
    tensors = {"proj.weight": weights(2 * C, C, seed=6), "proj.bias": weights(2 * C, seed=7)}
    spec = {"proj.weight": (2 * C, C), "proj.bias": (2 * C,)}
    scale = g.add("dense", (p,), (C,), "proj.scale", Layer("proj#scale", "dense", spec, (0, C)))
    shift = g.add("dense", (p,), (C,), "proj.shift", Layer("proj#shift", "dense", spec, (C, 2 * C)))
    g.output = g.add("scale_shift", (x, scale, shift), (C, H, W), "ss", silu=True)
    both = F.linear(time_embedding(True, 0.0), tt(tensors["proj.weight"]), tt(tensors["proj.bias"]))
    expected = F.silu(tt(X) * (1 + both[:, :C, None, None]) + both[:, C:, None, None])
    close(run(engine, g, tensors, X), expected)


def test_one_hot_class_embedding(engine):
    g = Graph()
    labels = g.add("class_labels", (), (), "class_labels")
    one_hot = g.add("one_hot", (labels,), (5,), "one_hot", classes=5)
    layer = Layer("emb", "embedding", {"emb.weight": (5, C)})
    g.output = g.add("dense", (one_hot,), (C,), "emb", layer)
    table = weights(5, C, seed=8)
    close(run(engine, g, {"emb.weight": table}, labels=[4, 1]), table[[4, 1]])


def test_vector_of_given_embeddings(engine):
    g = Graph()
    given = g.add("class_embeddings", (), (C, 1, 1), "class_embeddings")
    g.output = g.add("vector_of", (given,), (C,), "vector_of")
    embeddings = weights(B, C, seed=9)
    close(run(engine, g, {}, labels=embeddings), embeddings)


def test_centred_sample(engine):
    g = Graph()
    g.output = g.add("sample", (), (C, H, W), "sample", center=True)
    close(run(engine, g, {}, X), 2 * X - 1)


# ---- the autoencoders' primitives ------------------------------------------------------------------
ELEMENTWISE = {  # each primitive on an image x, and torch's
    "relu": (lambda g, x: g.add("relu", (x,), (C, H, W), "relu"), F.relu),
    "tanh clamp": (lambda g, x: g.add("tanh_clamp", (x,), (C, H, W), "clamp", limit=3.0),
                   lambda x: torch.tanh(x / 3) * 3),
    "(x + 1) / 2": (lambda g, x: g.add("affine", (x,), (C, H, W), "affine", scale=0.5, shift=0.5),
                    lambda x: x.add(1).div(2)),
    "x * 2 - 1": (lambda g, x: g.add("affine", (x,), (C, H, W), "affine", scale=2.0, shift=-1.0),
                  lambda x: x.mul(2).sub(1)),
}


@pytest.mark.parametrize("name", list(ELEMENTWISE))
def test_elementwise_on_latents(engine, name):
    """Each on the latents an autoencoder decodes (LATENTS), with values far outside the clamp too."""
    build, expected = ELEMENTWISE[name]
    g = Graph()
    g.output = build(g, g.add("latents", (), (C, H, W), "latents"))
    latents = X * 8
    close(run(engine, g, {}, images={LATENTS: latents}), expected(tt(latents)))


def test_gaussian_sample_of_pixels_and_noise(engine):
    """mean + exp(clamp(logvar, -30, 20) / 2) * noise, as DiagonalGaussianDistribution.sample: the
    mean from LATENTS, the log-variance from PIXELS (beyond the clamp at both ends), the noise NOISE."""
    g = Graph()
    mean = g.add("latents", (), (C, H, W), "mean")
    logvar = g.add("pixels", (), (C, H, W), "logvar")
    noise = g.add("noise", (), (C, H, W), "noise")
    g.output = g.add("gaussian_sample", (mean, logvar, noise), (C, H, W), "sample")
    logvars = X * 3
    logvars[0, 0, 0, :2] = (-45.0, 25.0)
    z = random_sample(B, C, H, seed=6)
    from diffusers.models.autoencoders.vae import DiagonalGaussianDistribution

    expected = DiagonalGaussianDistribution(torch.cat([tt(X), tt(logvars)], dim=1))
    close(run(engine, g, {}, images={LATENTS: X, PIXELS: logvars, NOISE: z}), expected.mean + expected.std * tt(z))


def test_codes_and_the_nearest_codebook_vector(engine):
    """The codebook read as a dense layer over each code's one-hot vector (codes, one_hot, dense),
    and each pixel replaced by its nearest code as torch.argmin(torch.cdist(...)) picks it: the
    lowest index among codes at the same distance."""
    n, d = 7, 3
    g = Graph()
    z = g.add("latents", (), (d, H, W), "latents")
    codes = g.add("codes", (), (), "codes", codes=n)
    one_hot = g.add("one_hot", (codes,), (n,), "one_hot", classes=n)
    book = g.add("dense", (one_hot,), (d,), "book", Layer("book", "embedding", {"book.weight": (n, d)}))
    g.output = g.add("nearest", (z, book), (d, H, W), "nearest")
    table = weights(n, d, seed=12) * 3
    table[0], table[1] = (1, 0, 0), (-1, 0, 0)  # equally far from the origin: code 0 is picked there
    latents = random_sample(B, d, H, W, seed=13)
    latents[0, :, 0, 0] = 0
    flat = tt(latents).permute(0, 2, 3, 1).reshape(-1, d)
    picked = tt(table)[torch.argmin(torch.cdist(flat, tt(table)), dim=1)]
    expected = picked.reshape(B, H, W, d).permute(0, 3, 1, 2)
    got = run(engine, g, {"book.weight": table}, images={LATENTS: latents}, prefix="sqld_codes_t")
    np.testing.assert_array_equal(got, expected.numpy())
    assert got[0, 0, 0, 0] == 1


# ---- the text encoder's primitives ---------------------------------------------------------------
L = 7  # tokens of a sequence: an image (channels, 1, L)


def test_lookup_of_tokens_then_of_positions(engine):
    """The token embedding (a row per token id) plus the position embedding (a row per x), as CLIP's
    embeddings: tables stored as they are (packing rows)."""
    vocab, d = 11, C
    g = Graph()
    tokens = g.add("tokens", (), (1, 1, L), "tokens")
    words = g.add("lookup", (tokens,), (d, 1, L), "token_embedding",
                  Layer("token_embedding", "rows", {"token_embedding.weight": (vocab, d)}), by_position=False)
    g.output = g.add("lookup", (tokens, words), (d, 1, L), "position_embedding",
                     Layer("position_embedding", "rows", {"position_embedding.weight": (L, d)}), by_position=True)
    tables = {"token_embedding.weight": weights(vocab, d, seed=20), "position_embedding.weight": weights(L, d, seed=21)}
    ids = np.array([[0, 10, 3, 3, 7, 1, 10], [5, 2, 9, 0, 4, 6, 8]])
    expected = tables["token_embedding.weight"][ids] + tables["position_embedding.weight"][None]  # (B, L, d)
    got = run(engine, g, tables, images={TOKENS: ids[:, None, None, :].astype(np.float32)})
    close(got, expected.transpose(0, 2, 1)[:, :, None, :])


def sequence(seed: int, scale: float = 1.0) -> np.ndarray:
    """A batch of token sequences (B, C, 1, L) as the text encoder's output relation holds them."""
    return random_sample(B, C, 1, L, seed=seed) * scale


def test_layer_norm_of_the_text_encoder_output(engine):
    """Per pixel over its channels, with a bias far from zero (the mean matters)."""
    g = Graph()
    text = g.add("encoder_hidden_states", (), (C, 1, L), "encoder_hidden_states")
    layer = Layer("ln", "norm", {"ln.weight": (C,), "ln.bias": (C,)})
    g.output = g.add("layer_norm", (text,), (C, 1, L), "ln", layer, eps=1e-5)
    t = {"ln.weight": 1 + weights(C, seed=22), "ln.bias": weights(C, seed=23)}
    hidden = sequence(24, 3.0) + 5
    tokens = tt(hidden).permute(0, 2, 3, 1)  # (B, 1, L, C)
    expected = F.layer_norm(tokens, (C,), tt(t["ln.weight"]), tt(t["ln.bias"]), eps=1e-5).permute(0, 3, 1, 2)
    close(run(engine, g, t, images={TEXT: hidden}), expected)


@pytest.mark.parametrize("quick", [True, False], ids=["quick_gelu", "gelu"])
def test_gelu_and_multiply(engine, quick):
    """GELU (CLIP's quick one, or the exact erf one) of values from -60 to 60, times the input (as
    GEGLU multiplies): within float32's rounding of torch's."""
    g, x = image_graph()
    act = g.add("gelu", (x,), (C, H, W), "act", quick=quick)
    g.output = g.add("multiply", (act, x), (C, H, W), "product")
    values = X * 4
    values[0, 0, 0, :4] = (-60.0, 60.0, -9.5, 1e-6)
    source = tt(values)
    gelu = source * torch.sigmoid(1.702 * source) if quick else F.gelu(source)
    close(run(engine, g, {}, values), gelu * source, atol=2e-5)


def test_causal_attention_with_qkv_projections_some_without_bias(engine):
    """CLIP's self-attention: q_proj, k_proj, v_proj stacked (v_proj without a bias: a zero one),
    each query attending to itself and the keys before it (index y * W + x)."""
    h, w = 2, 3
    g, x = image_graph(height=h, width=w)
    tensors, shapes = {}, {}
    for k, p in enumerate("qkv"):
        for part, shape in (("weight", (C, C)), ("bias", (C,))):
            if p == "v" and part == "bias":
                continue
            tensors[f"a.{p}_proj.{part}"] = weights(*shape, seed=30 + 2 * k + (part == "bias"))
            shapes[f"a.{p}_proj.{part}"] = shape
    qkv = g.add("dense", (x,), (3 * C, h, w), "a.qkv", Layer("a.qkv", "qkv", shapes), tag="attention")
    g.output = g.add("attention", (qkv,), (C, h, w), "a.attention", heads=2, causal=True)
    sample = random_sample(B, C, h, w, seed=31)
    tokens = tt(sample).flatten(2).transpose(1, 2)  # (B, HW, C)
    bias = {p: tensors.get(f"a.{p}_proj.bias", np.zeros(C, np.float32)) for p in "qkv"}
    q, k, v = (F.linear(tokens, tt(tensors[f"a.{p}_proj.weight"]), tt(bias[p])) for p in "qkv")
    split = lambda z: z.reshape(B, h * w, 2, C // 2).transpose(1, 2)  # noqa: E731
    out = F.scaled_dot_product_attention(split(q), split(k), split(v), is_causal=True)
    expected = out.transpose(1, 2).reshape(B, h * w, C).transpose(1, 2).reshape(B, C, h, w)
    close(run(engine, g, tensors, sample), expected)


# ---- the sampler's arithmetic: each statement a scheduler writes, on its own ---------------------
COEFFICIENTS = {"sa": 0.8, "sb": 0.6, "p": 0.55, "q": 0.35, "r": -0.2, "sigma": 0.3, "u1": 0.15, "u2": -0.05,
                "ka": 0.9, "kb": 0.4}


def sampler_relations(engine, images: dict[str, np.ndarray], coefficients=COEFFICIENTS):
    """Put `images` (name -> (B, C, H, W)) and a one-row coefficients relation `sqld_c` into the engine."""
    for name, image in images.items():
        engine.put_image(name, image)
    d = engine.dialect
    engine.create("sqld_c", "SELECT " + ", ".join(f"{d.cast(d.number(v), d.double)} AS {k}"
                                                  for k, v in coefficients.items()))
    return ["sqld_c", *images]


def computed(engine, select: str, shape, made) -> np.ndarray:
    try:
        engine.create("sqld_out", select)
        return engine.fetch_image("sqld_out", shape)
    finally:
        engine.drop("sqld_out", *made)


@pytest.mark.parametrize("clip, noise, history, known", [
    (None, False, 0, False), (1.0, True, 0, False), (None, True, 2, False), (0.5, True, 0, True)])
def test_sampler_step(engine, clip, noise, history, known):
    """x0 = clip((x - sb eps) / sa); x_prev = p x0 + q x + r eps [+ sigma z] [+ u_k x0_k], and with a
    known picture and mask, mask (ka o + kb z) + (1 - mask) x_prev: as the formula says, in float64."""
    shape = (B, C, H, W)
    names = ["sqld_x", "sqld_e", "sqld_z", "sqld_h1", "sqld_h2", "sqld_o"]
    arrays = {name: random_sample(*shape, seed=k) for k, name in enumerate(names)}
    arrays["sqld_m"] = (np.random.default_rng(7).random(shape) < 0.5).astype(np.float32)
    made = sampler_relations(engine, arrays)
    c = COEFFICIENTS
    x, e, z = (arrays[n].astype(np.float64) for n in ("sqld_x", "sqld_e", "sqld_z"))
    x0 = (x - c["sb"] * e) / c["sa"]
    x0 = np.clip(x0, -clip, clip) if clip is not None else x0
    expected = c["p"] * x0 + c["q"] * x + c["r"] * e + (c["sigma"] * z if noise else 0)
    for k in range(1, history + 1):
        expected = expected + c[f"u{k}"] * arrays[f"sqld_h{k}"]
    if known:
        m, o = arrays["sqld_m"], arrays["sqld_o"]
        expected = m * (c["ka"] * o + c["kb"] * z) + (1 - m) * expected
    select = sampler_step(engine.dialect, "sqld_x", "sqld_e", "sqld_z" if noise else None, "sqld_c", clip, C,
                                         ("sqld_o", "sqld_m") if known else None,
                                         [f"sqld_h{k}" for k in range(1, history + 1)])
    close(computed(engine, select, shape, made), expected)


def test_pixelwise_and_noised(engine):
    """A formula over several relations and the coefficients (multistep corrections, derivatives),
    and a clean picture noised to a timestep: sa x0 + sb eps."""
    shape = (B, C, H, W)
    arrays = {"sqld_x": random_sample(*shape, seed=1), "sqld_e": random_sample(*shape, seed=2),
              "sqld_z": random_sample(*shape, seed=3)}
    d = engine.dialect
    x, e, z = (arrays[n].astype(np.float64) for n in arrays)
    made = sampler_relations(engine, arrays)
    formula = lambda a, b, c: f"c.p * {a} - c.q * {b} * {c} + c.r"  # noqa: E731
    close(computed(engine, d.pixelwise(C, formula, ["sqld_x", "sqld_e", "sqld_z"], "sqld_c"), shape, []),
          COEFFICIENTS["p"] * x - COEFFICIENTS["q"] * e * z + COEFFICIENTS["r"])
    close(computed(engine, noised(d, "sqld_x", "sqld_e", "sqld_c", C), shape, made),
          COEFFICIENTS["sa"] * x + COEFFICIENTS["sb"] * e)


def test_slerp(engine):
    """Frames on the great circle between two noises, as vectors of all their pixels and channels."""
    first, second = random_sample(1, C, H, W, seed=4), random_sample(1, C, H, W, seed=5)
    made = sampler_relations(engine, {"sqld_a": first, "sqld_b": second})
    a, b = first.astype(np.float64).ravel(), second.astype(np.float64).ravel()
    theta = np.arccos(np.clip(a @ b / np.sqrt((a @ a) * (b @ b)), -1, 1))
    frames = 4
    expected = np.stack([(np.sin((1 - f) * theta) * first[0] + np.sin(f * theta) * second[0]) / np.sin(theta)
                         for f in np.arange(frames) / (frames - 1)])
    close(computed(engine, slerp(engine.dialect, "sqld_a", "sqld_b", frames, C), (frames, C, H, W), made), expected)


def test_gaussian_noise(engine):
    """Standard normal numbers, the same for an image whatever the batch around it, other for
    another stream or seed."""
    d = engine.dialect
    many = computed(engine, d.gaussian_noise((3, C, 16, 16), seed=11, stream=2), (3, C, 16, 16), [])
    alone = computed(engine, d.gaussian_noise((1, C, 16, 16), seed=11, stream=2), (1, C, 16, 16), [])
    other = computed(engine, d.gaussian_noise((1, C, 16, 16), seed=11, stream=3), (1, C, 16, 16), [])
    np.testing.assert_array_equal(many[:1], alone)
    assert not np.array_equal(alone, other) and not np.array_equal(many[0], many[1])
    assert abs(many.mean()) < 0.1 and abs(many.std() - 1) < 0.1  # 6,144 numbers: 0.1 is 8 standard errors


def test_every_primitive_is_tested_here():
    import re
    from pathlib import Path

    text = Path(__file__).read_text()
    tested = set(re.findall(r'g\.add\("(\w+)"', text)) | {"conv3x3"}  # conv() adds it
    assert set(OPS) <= tested, set(OPS) - tested
    dialect = ("pixelwise", "gaussian_noise")  # the arithmetic the schedulers ask of each dialect
    assert all(re.search(rf"\b(d|engine\.dialect)\.{name}\(", text) for name in dialect)
    steps = ("sampler_step", "noised", "slerp")  # what the schedulers write through it (schedulers/sql.py)
    assert all(re.search(rf"\b{name}\((d|engine\.dialect), ", text) for name in steps)
