"""Words visitors use for what a knowledge base names otherwise.

A visitor asks for "advantages" or a "boilerplate"; staff wrote "benefits"
and "starter kit". A visitor word (or phrase) listed here may match an entry
through any of the words it stands for, as well as through itself; it only
helps where the knowledge base really uses those words. Plain data, general to
web development and support chat, not tied to one knowledge base.
"""

from __future__ import annotations

import re

from .text import stem

PHRASES = {
    "why would i use": "benefits",
    "why should i use": "benefits",
    "why use": "benefits",
    "what do i gain": "benefits",
    "better than": "benefits",
    "good for": "benefits",
    "selling point": "benefits",
    "hot reload": "kickstart recompile restart",
    "hot reloading": "kickstart recompile restart",
    "live reload": "kickstart recompile restart",
    "live reloading": "kickstart recompile restart",
    "auto reload": "kickstart recompile restart",
    "auto restart": "kickstart recompile restart",
    "automatic restart": "kickstart recompile restart",
    "watch mode": "kickstart recompile restart",
    "file watcher": "kickstart recompile restart",
    "file change": "recompile restart",
    "file changes": "recompile restart",
    "get started": "starter",
    "getting started": "starter",
    "start from": "starter",
    "start with": "starter",
    "hello world": "starter",
    "page reload": "routing",
    "without reloading": "routing",
    "single page": "routing",
    "know nothing": "dont know anything",
    "not helpful": "stupid",
    "you suck": "stupid",
    "building blocks": "components",
    "ui elements": "components",
    "full stack": "isomorphic",
    "same code": "isomorphic",
    "shared code": "isomorphic",
}

WORDS = {
    # What it is good for.
    "advantage": "benefits",
    "advantages": "benefits",
    "pro": "benefits",
    "pros": "benefits",
    "upside": "benefits",
    "upsides": "benefits",
    "merit": "benefits",
    "merits": "benefits",
    "strengths": "benefits",
    "gain": "benefits",
    "value": "benefits",
    "beneficial": "benefits",
    "worth": "benefits",
    "reasons": "benefits",
    "tech": "technology",
    # Talks and videos.
    "video": "talk presentation",
    "videos": "talk presentation",
    "youtube": "talk presentation",
    "recording": "talk presentation",
    "keynote": "talk presentation",
    "speech": "talk presentation",
    "session": "talk presentation",
    "seminar": "talk presentation",
    "webinar": "talk presentation",
    "meetup": "talk presentation",
    "slides": "talk presentation",
    "conference": "talk presentation",
    "watch": "talk presentation",
    # Somewhere to start.
    "boilerplate": "starter kit",
    "skeleton": "starter kit",
    "scaffold": "starter kit",
    "scaffolding": "starter kit",
    "barebones": "starter kit",
    "example": "starter",
    "examples": "starter",
    "sample": "starter",
    "demo": "starter",
    "tutorial": "starter",
    "repo": "starter",
    "repository": "starter",
    "clone": "starter",
    # Rebuilding while developing.
    "rebuild": "recompile",
    "rebuilds": "recompile",
    "rebuilding": "recompile",
    "autoreload": "kickstart recompile restart",
    "watcher": "kickstart recompile restart",
    "reboot": "restart",
    # Moving between pages.
    "navigation": "routing",
    "navigate": "routing",
    "navigating": "routing",
    "router": "routing",
    "url": "routes",
    "urls": "routes",
    "spa": "routing",
    # Pages and building blocks.
    "templating": "template rendering",
    "html": "templates",
    "layout": "templates",
    "layouts": "templates",
    "view": "templates",
    "views": "templates",
    "markup": "templates",
    "component": "components",
    "widget": "components",
    "widgets": "components",
    "vue": "react",
    "angular": "react",
    "svelte": "react",
    # The web.
    "app": "application",
    "apps": "applications",
    "application": "app",
    "applications": "apps",
    "website": "web",
    "browser": "client",
    "browsers": "client",
    "frontend": "client",
    "backend": "server",
    "universal": "isomorphic",
    "fullstack": "isomorphic",
    # Unkind words.
    "useless": "stupid",
    "worthless": "stupid",
    "clueless": "stupid",
    "hopeless": "stupid",
    "pathetic": "stupid",
    "brainless": "stupid",
    "unhelpful": "stupid",
    "sucks": "stupid",
    "moron": "idiot",
    "rubbish": "stupid",
    "terrible": "stupid",
    "dumbest": "dumb",
}

# Word forms count too: "watching" stands for what "watch" does.
_BY_STEM = {stem(word): meaning for word, meaning in WORDS.items()}
_PHRASE = re.compile(r"\b(?:" + "|".join(re.escape(p) for p in PHRASES) + r")\b")


def slots(normalized_words: list[str]) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """The question as slots: (the words written, the words they may stand for).

    A slot is a word, or a phrase listed here; a question matches an entry
    through a slot if the entry has any of the slot's words.
    """
    text = " ".join(normalized_words)
    found = []
    for phrase in _PHRASE.findall(text):
        found.append((tuple(phrase.split()), tuple(PHRASES[phrase].split())))
        text = text.replace(phrase, " ", 1)
    for word in text.split():
        meaning = WORDS.get(word) or _BY_STEM.get(stem(word), "")
        found.append(((word,), tuple(meaning.split())))
    return found
