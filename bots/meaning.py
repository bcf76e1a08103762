"""The process's sentence encoder, for the bot's semantic stage and for grouping staff's
unanswered questions by meaning. Loaded on first use (about 0.3 s), then shared by threads.
"""

from __future__ import annotations

import threading

from threadpoolctl import threadpool_limits

from . import conf, embedding, vectors
from .semantic import Semantics

_lock = threading.Lock()
#: Holds the encoder once loaded (None: the model is not installed).
_encoder: list[embedding.Encoder | None] = []


def semantics() -> Semantics | None:
    """What the bot needs for its semantic stage, or None when it is switched off
    (BOT_SEMANTIC) or the model is not installed (then the bot answers on words alone)."""
    if not conf.get("BOT_SEMANTIC"):
        return None
    encoder = _load_encoder()
    if encoder is None:
        return None
    model_id = encoder.model_id

    def stored(texts):
        return vectors.stored_vectors(model_id=model_id, texts=texts, encode=encoder.encode)

    return Semantics(encode=encoder.encode, stored=stored)


def _load_encoder() -> embedding.Encoder | None:
    if not _encoder:
        with _lock:
            if not _encoder:
                # One thread for numpy's BLAS too (the entries' matrix product), as onnxruntime
                # has: each worker process is one core's worth, and threads that race the
                # other workers for cores only add latency.
                threadpool_limits(limits=1, user_api="blas")
                _encoder.append(embedding.load_encoder(cache_dir=conf.model_cache_dir()))
    return _encoder[0]
