"""Generated knowledge bases and questions for the bot benchmark (deterministic)."""

from __future__ import annotations

import random

from bots.base import KnowledgeItem

_SYLLABLES = "ka ro mi tu se na lo vi pe da ze fu gi ho ja qu ri sa te wo xe yi bu ce".split()


def vocabulary(size: int, rng: random.Random) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def knowledge_base(entries: int, *, seed: int = 7) -> list[KnowledgeItem]:
    """``entries`` entries of 4 to 8 terms and a 20 to 40 word answer, words Zipf-distributed."""
    rng = random.Random(seed)
    words = vocabulary(max(200, entries * 3), rng)
    weights = [1 / (rank + 1) for rank in range(len(words))]
    items = []
    for n in range(entries):
        # Terms lean on rarer words, as staff pick the words that set a topic apart.
        terms = rng.sample(words[len(words) // 10 :], rng.randint(4, 8))
        answer = rng.choices(words, weights=weights, k=rng.randint(20, 40))
        items.append(KnowledgeItem(str(n), " ".join(terms), " ".join(answer).capitalize() + "."))
    return items


def questions(items: list[KnowledgeItem], count: int, *, seed: int = 11) -> list[str]:
    """A mix visitors would send: term words with filler, with a typo, and unknown words."""
    rng = random.Random(seed)
    asked = []
    for n in range(count):
        terms = rng.choice(items).terms.split()
        picked = rng.sample(terms, min(len(terms), rng.randint(2, 3)))
        if n % 4 == 1:
            word = picked[0]
            position = rng.randrange(len(word))
            picked[0] = word[:position] + rng.choice("aeiouxz") + word[position + 1 :]
        if n % 4 == 3:
            picked = ["".join(rng.sample("qwrtypsdfghjklzxcvbnm", 7)) for _ in range(3)]
        asked.append(f"how do I {' '.join(picked)} please?")
    return asked
