"""The knowledge base's sentence vectors, kept in the database.

A text is encoded once per model: a worker that starts, or rebuilds its bot after an edit,
reads the vectors of every text it has seen before in one query per thousand texts and
encodes only the new ones (an edited entry: a few milliseconds). Rows are keyed by the
model and the text's digest, so they are shared by every bot and every process.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np

from .models import StoredVector

#: Texts looked up per query: well under SQLite's limit on a statement's parameters.
_CHUNK = 900
#: Vectors a process keeps after reading or encoding them (about 1.5 KB each): a rebuild
#: after an edit, and the products' pages, then cost no query at all.
_RECENT_SIZE = 20_000
_recent: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
_recent_lock = threading.Lock()


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def stored_vectors(
    *,
    model_id: str,
    texts: Sequence[str],
    encode: Callable[[Sequence[str]], np.ndarray],
) -> np.ndarray:
    """The vectors of ``texts`` (one row each, in order), encoding and storing the missing."""
    digests = [digest(text) for text in texts]
    found: dict[str, np.ndarray] = {}
    with _recent_lock:
        for key in digests:
            vector = _recent.get((model_id, key))
            if vector is not None:
                found[key] = vector
    unique = [key for key in dict.fromkeys(digests) if key not in found]
    for start in range(0, len(unique), _CHUNK):
        rows = StoredVector.objects.filter(
            model=model_id, digest__in=unique[start : start + _CHUNK]
        ).values_list("digest", "vector")
        for key, vector in rows:
            found[key] = np.frombuffer(bytes(vector), dtype=np.float32)
    missing = {key: text for key, text in zip(digests, texts, strict=True) if key not in found}
    if missing:
        encoded = encode(list(missing.values()))
        StoredVector.objects.bulk_create(
            [
                StoredVector(model=model_id, digest=key, vector=vector.astype(np.float32).tobytes())
                for key, vector in zip(missing, encoded, strict=True)
            ],
            ignore_conflicts=True,  # another process stored the same text meanwhile
            batch_size=500,
        )
        found.update(zip(missing, encoded, strict=True))
    with _recent_lock:
        for key in digests:
            _recent[model_id, key] = found[key]
            _recent.move_to_end((model_id, key))
        while len(_recent) > _RECENT_SIZE:
            _recent.popitem(last=False)
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    return np.stack([found[key] for key in digests]).astype(np.float32, copy=False)


def forget() -> None:
    """Drop the process's copies (tests whose database rows were rolled back)."""
    with _recent_lock:
        _recent.clear()
