"""Reads of the chat and the shop."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from bots.base import PageContext, ProductFacts
from bots.loading import get_bot
from bots.selectors import thumbnail_url

from . import conf, protocol
from .models import Message, Product


def conversation_frames(*, conversation_id: int) -> list[dict[str, Any]]:
    """The conversation's latest messages as frames, oldest first."""
    latest = Message.objects.filter(conversation_id=conversation_id).order_by("-id")[
        : conf.get("CHAT_HISTORY_LIMIT")
    ]
    return [protocol.message_frame(message) for message in reversed(latest)]


def agent_info() -> dict[str, str]:
    """Who answers the chat, in the seed's /restapi/get-agent-info shape."""
    bot = get_bot()
    return {
        "AgentName": bot.name,
        "AgentTitle": bot.title,
        "AgentThumbImagePath": thumbnail_url(bot.thumbnail_path),
    }


def product_list() -> QuerySet[Product]:
    return Product.objects.all()


def product_id_if_exists(*, product_id: int | None) -> int | None:
    if product_id is None or not Product.objects.filter(pk=product_id).exists():
        return None
    return product_id


def page_context(*, page: str, product_id: int | None) -> PageContext:
    """What the bot knows of the page the visitor asks from, the product's facts fresh."""
    product = Product.objects.filter(pk=product_id).first() if product_id else None
    if product is None:
        return PageContext(page=page)
    return PageContext(
        page=page,
        product=ProductFacts(
            name=product.name,
            price=str(product.price),
            stock=product.stock,
            description=product.description,
            url=product.get_absolute_url(),
        ),
    )
