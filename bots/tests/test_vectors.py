"""Sentence vectors of the knowledge base kept in the database (bots/vectors.py)."""

import numpy as np
import pytest

from bots import vectors
from bots.models import StoredVector

pytestmark = pytest.mark.django_db


class CountingEncoder:
    """Stands for the model: a vector per text, and a count of the texts it was given."""

    def __init__(self):
        self.encoded: list[str] = []

    def __call__(self, texts):
        self.encoded.extend(texts)
        return np.array([[len(text), 1.0, 0.0] for text in texts], dtype=np.float32)


@pytest.fixture(autouse=True)
def _nothing_kept_in_memory():
    vectors.forget()
    yield
    vectors.forget()


def test_texts_are_encoded_once_and_read_back_by_the_next_worker():
    encode = CountingEncoder()
    first = vectors.stored_vectors(model_id="m", texts=["a", "bb", "a"], encode=encode)
    assert encode.encoded == ["a", "bb"]  # each text once
    assert first.tolist() == [[1, 1, 0], [2, 1, 0], [1, 1, 0]]
    assert StoredVector.objects.filter(model="m").count() == 2

    vectors.forget()  # another process: only the database knows
    again = CountingEncoder()
    read = vectors.stored_vectors(model_id="m", texts=["bb", "ccc"], encode=again)
    assert again.encoded == ["ccc"]
    assert read.tolist() == [[2, 1, 0], [3, 1, 0]]


def test_a_process_keeps_what_it_read_or_encoded():
    encode = CountingEncoder()
    vectors.stored_vectors(model_id="m", texts=["a"], encode=encode)
    StoredVector.objects.all().delete()
    assert vectors.stored_vectors(model_id="m", texts=["a"], encode=encode).shape == (1, 3)
    assert encode.encoded == ["a"]


def test_another_model_never_reads_these_vectors():
    vectors.stored_vectors(model_id="m", texts=["a"], encode=CountingEncoder())
    other = CountingEncoder()
    vectors.stored_vectors(model_id="other", texts=["a"], encode=other)
    assert other.encoded == ["a"]


def test_many_texts_are_read_in_chunks():
    texts = [f"text {n}" for n in range(2000)]
    vectors.stored_vectors(model_id="m", texts=texts, encode=CountingEncoder())
    vectors.forget()
    again = CountingEncoder()
    assert vectors.stored_vectors(model_id="m", texts=texts, encode=again).shape == (2000, 3)
    assert again.encoded == []


def test_no_texts():
    assert vectors.stored_vectors(model_id="m", texts=[], encode=CountingEncoder()).size == 0
