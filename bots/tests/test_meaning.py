"""The process's encoder keeps the vectors of recent questions (bots/meaning.py)."""

import threading

import numpy as np

from bots.meaning import RecentVectors


class CountingEncoder:
    def __init__(self):
        self.encoded: list[str] = []

    def __call__(self, texts):
        self.encoded.extend(texts)
        return np.array([[float(len(text)), 1.0] for text in texts], dtype=np.float32)


def test_a_question_is_encoded_once_and_the_vectors_keep_the_order_asked():
    encode = CountingEncoder()
    recent = RecentVectors(encode, size=8)
    first = recent(["what is it?", "hi"])
    again = recent(["hi", "what is it?", "new one"])
    assert encode.encoded == ["what is it?", "hi", "new one"]
    assert np.array_equal(again[0], first[1]) and np.array_equal(again[1], first[0])
    assert again[2][0] == len("new one")


def test_only_the_most_recent_are_kept():
    encode = CountingEncoder()
    recent = RecentVectors(encode, size=2)
    recent(["a"])
    recent(["b"])
    recent(["a"])  # used again: now "b" is the oldest
    recent(["c"])
    recent(["a", "b"])
    assert encode.encoded == ["a", "b", "c", "b"]


def test_no_text_gives_no_vector():
    encode = CountingEncoder()
    assert len(RecentVectors(encode, size=2)([])) == 0


def test_threads_asking_at_once_get_their_own_vectors():
    recent = RecentVectors(CountingEncoder(), size=64)
    results: dict[str, float] = {}

    def ask(text):
        results[text] = float(recent([text])[0][0])

    threads = [threading.Thread(target=ask, args=("x" * n,)) for n in range(1, 40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {"x" * n: float(n) for n in range(1, 40)}
