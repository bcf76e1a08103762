"""Turning what visitors type into comparable words. Plain Python, no ORM."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

# Function words only (the Snowball project's English list, trimmed): unlike
# scikit-learn's list it keeps content words such as "find", "system" or "show".
STOP_WORDS = frozenset(
    """
    a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for
    from further had has have having he her here hers herself him himself his how i if in
    into is it its itself just me more most my myself no nor not of off on once only or
    other ought our ours ourselves out over own same she should so some such than that the
    their theirs them themselves then there these they this those through to too under until
    up very was we were what when where which while who whom why will with would you your
    yours yourself yourselves im ive id youre whats thats theres hows wheres whos isnt arent
    wasnt doesnt didnt cant couldnt wont wouldnt shouldnt lets please also may might must
    shall get got tell give want like need let us one ok okay hey hi
    use using used mean means meaning exactly similar thing things stuff something
    work works working handle explain main anyone bot robot anything everything
    offer offers provide provides support supports given
    """.split()
)

_APOSTROPHES = str.maketrans({"\u2019": "", "\u2018": "", "'": "", "`": ""})
_WORD = re.compile(r"[^\W_]+")
# PyStemmer: the Snowball project's own C stemmers, ~50x faster than pure Python.
_stemmer = Stemmer.Stemmer("english")


def normalize(text: str) -> str:
    """Case-folded, compatibility-normalised text with apostrophes dropped ("don't" → "dont")."""
    return unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)


def words(text: str) -> list[str]:
    """All words of ``text``, in order; punctuation and symbols separate words."""
    return _WORD.findall(normalize(text))


def content_words(text: str) -> list[str]:
    return [word for word in words(text) if word not in STOP_WORDS]


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    return _stemmer.stemWord(word)


@lru_cache(maxsize=1)
def _dictionary():
    # Imported on first use: loading the word list takes 0.15 s, which a process that never
    # corrects a typo need not pay.
    from spellchecker import SpellChecker

    return SpellChecker(language="en")


def is_dictionary_word(word: str) -> bool:
    """Whether ``word`` is an English word (pyspellchecker's list): a typo never is, so a
    word that is one is never corrected into another ("discount" is not "discord")."""
    return word in _dictionary()


def stem_all(words: set[str]) -> dict[str, str]:
    """Stems of many words at once (one call into the C stemmer)."""
    ordered = list(words)
    return dict(zip(ordered, _stemmer.stemWords(ordered), strict=True))
