"""The process's sentence encoder, for the bot's semantic stage and for grouping staff's
unanswered questions by meaning. Loaded on first use (about 0.3 s), then shared by threads.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from . import conf, embedding, vectors
from .base import Semantics

#: Questions whose vectors a process keeps: one question is wanted by the bot, then by the
#: record of an unanswered question or by "Try a question", and is encoded once (4 ms).
RECENT_QUESTIONS = 512


class RecentVectors:
    """``encode`` with the vectors of the last ``size`` texts kept; safe across threads."""

    def __init__(self, encode: Callable[[Sequence[str]], np.ndarray], *, size: int) -> None:
        self._encode = encode
        self._size = size
        self._kept: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return self._encode(texts)
        with self._lock:
            found = {text: self._kept.get(text) for text in texts}
            for text, vector in found.items():
                if vector is not None:
                    self._kept.move_to_end(text)
        missing = [text for text, vector in found.items() if vector is None]
        if missing:
            # Encoded outside the lock: another thread's question need not wait for this one.
            new = dict(zip(missing, self._encode(missing), strict=True))
            found.update(new)
            with self._lock:
                self._kept.update(new)
                while len(self._kept) > self._size:
                    self._kept.popitem(last=False)
        return np.stack([found[text] for text in texts])


@dataclass(frozen=True)
class _Loaded:
    encoder: embedding.Encoder
    recent: RecentVectors


_lock = threading.Lock()
#: Holds the encoder once loaded (None: the model is not installed).
_loaded: list[_Loaded | None] = []


def semantics() -> Semantics | None:
    """What the bot needs for its semantic stage, or None when it is switched off
    (BOT_SEMANTIC) or the model is not installed (then the bot answers on words alone)."""
    if not conf.get("BOT_SEMANTIC"):
        return None
    loaded = _load()
    if loaded is None:
        return None
    encoder = loaded.encoder

    def stored(texts):
        return vectors.stored_vectors(model_id=encoder.model_id, texts=texts, encode=encoder.encode)

    return Semantics(encode=loaded.recent, stored=stored)


def _load() -> _Loaded | None:
    if not _loaded:
        with _lock:
            if not _loaded:
                # One thread for numpy's BLAS too (the entries' matrix product), as onnxruntime
                # has: each worker process is one core's worth, and threads that race the
                # other workers for cores only add latency.
                threadpool_limits(limits=1, user_api="blas")
                encoder = embedding.load_encoder(cache_dir=conf.model_cache_dir())
                _loaded.append(
                    None
                    if encoder is None
                    else _Loaded(encoder, RecentVectors(encoder.encode, size=RECENT_QUESTIONS))
                )
    return _loaded[0]
