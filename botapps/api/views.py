"""The bot apps' HTTP API: each view decodes the request with a serializer, calls one
service or selector, and answers. Every view acts as the authenticated bot app's bot user
(botapps.api.authentication); a conversation the app may not read is 404, whether or not it
exists.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, JsonResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.exceptions import (
    NotFound,
    PermissionDenied,
    UnsupportedMediaType,
    ValidationError,
)
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer

from chat import selectors as chat_selectors
from chat.models import Conversation

from .. import selectors, services
from ..models import BotApp
from . import serializers as s
from .authentication import AccessTokenAuthentication, ApiKeyAuthentication
from .pagination import IdCursorPagination, PagePagination
from .parsers import JsonParser
from .schema import CHAT_ID, USER_ID, ApiSchema, operation

NOT_READABLE = "No conversation with this id is routed to the bot."


class BotApiView(GenericAPIView):
    parser_classes = [JsonParser]
    schema = ApiSchema()
    # No OPTIONS: what it would describe is in the OpenAPI document, and DRF's description
    # needs one serializer per view, which these views do not have.
    metadata_class = None

    @property
    def app(self) -> BotApp:
        # IsBotApp let the request through: auth is the authenticated BotApp.
        return self.request.auth

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        # DRF reads a body without a Content-Type as no body at all: refuse it instead.
        if not request.content_type and _has_body(request):
            raise UnsupportedMediaType(None)
        # As strict as bodies: "pagesize=10" would otherwise give 50 without a word.
        allowed = self.query_parameters()
        unknown = [name for name in request.query_params if name not in allowed]
        if unknown:
            expected = ", ".join(sorted(allowed)) or "none"
            raise ValidationError(
                {name: [f"Unknown query parameter (allowed: {expected})."] for name in unknown[:20]}
            )

    def query_parameters(self) -> set[str]:
        paginator = self.paginator
        if paginator is None:
            return set()
        names = {paginator.page_size_query_param}
        names.add(getattr(paginator, "page_query_param", None) or paginator.cursor_query_param)
        return names

    def get_authenticate_header(self, request: Request) -> str:
        # Both schemes are offered, not only the first class's.
        return ", ".join(
            auth.authenticate_header(request)
            for auth in (AccessTokenAuthentication(), ApiKeyAuthentication())
        )

    def body(self, serializer_class: type[Serializer], data: Any = None) -> dict[str, Any]:
        """The request body (or ``data``), validated by ``serializer_class``."""
        serializer = serializer_class(
            data=self.request.data if data is None else data,
            context=self.get_serializer_context(),
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def conversation(self, chat_id: int) -> Conversation:
        conversation = selectors.bot_conversation_get(app=self.app, conversation_id=chat_id)
        if conversation is None:
            raise NotFound(NOT_READABLE)
        return conversation

    def own_member(self, member_id: int) -> None:
        if member_id != self.app.user_id:
            raise PermissionDenied(
                f"A bot changes only its own membership: member {self.app.user_id}."
            )


def _has_body(request: Request) -> bool:
    meta = request.META
    try:
        length = int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    return length > 0 or "HTTP_TRANSFER_ENCODING" in meta


# --- the bot user -----------------------------------------------------------------------------


class MeView(BotApiView):
    @operation(
        operation_id="me_retrieve",
        summary="Who the credentials act as",
        description="The bot user of the authenticated app: its id is the {user_id} of "
        "every other path.",
        tags=["users"],
        ok={200: s.UserResourceSerializer},
        always=(401, 429),
    )
    def get(self, request: Request) -> Response:
        return Response(s.UserResourceSerializer(self.app, context={"request": request}).data)


class UserView(BotApiView):
    @operation(
        operation_id="user_retrieve",
        summary="The bot user, with its online state",
        tags=["users"],
        ok={200: s.UserResourceSerializer},
        parameters=[USER_ID],
    )
    def get(self, request: Request, user_id: int) -> Response:
        return Response(s.UserResourceSerializer(self.app, context={"request": request}).data)

    @operation(
        operation_id="user_update",
        summary="Go online or offline",
        description="is_online_enabled: true makes the bot online while it is present (has "
        "a user client that has not expired); an online bot makes the chat show online.",
        tags=["users"],
        request=s.UserUpdateSerializer,
        ok={200: s.UserResourceSerializer},
        parameters=[USER_ID],
    )
    def patch(self, request: Request, user_id: int) -> Response:
        data = self.body(s.UserUpdateSerializer)
        app = services.bot_app_online_set(app=self.app, enabled=data["is_online_enabled"])
        return Response(s.UserResourceSerializer(app, context={"request": request}).data)


# --- user clients (presence) ------------------------------------------------------------------


CLIENT_ID = OpenApiParameter(
    "client_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="A user client's id."
)
NO_CLIENT = "The bot has no such client (it may have expired and been swept): make a new one."


class ClientListView(BotApiView):
    @operation(
        operation_id="clients_list",
        summary="The bot user's clients",
        description="Expired ones too, until they are swept away.",
        tags=["presence"],
        ok={200: s.ClientResourceSerializer(many=True)},
        parameters=[USER_ID],
    )
    def get(self, request: Request, user_id: int) -> Response:
        clients = selectors.bot_app_clients(app=self.app)
        return Response(s.ClientResourceSerializer(clients, many=True).data)

    @operation(
        operation_id="clients_create",
        summary="Become present: register a user client",
        tags=["presence"],
        request=s.PresenceSerializer,
        ok={201: s.ClientResourceSerializer},
        parameters=[USER_ID],
    )
    def post(self, request: Request, user_id: int) -> Response:
        data = self.body(s.PresenceSerializer)
        client = services.bot_client_create(app=self.app, expires_in=data["presence_expires_in"])
        return Response(s.ClientResourceSerializer(client).data, status=status.HTTP_201_CREATED)


class ClientView(BotApiView):
    @operation(
        operation_id="clients_renew",
        summary="Stay present: renew a user client",
        tags=["presence"],
        request=s.PresenceSerializer,
        ok={200: s.ClientResourceSerializer},
        errors={404: NO_CLIENT},
        parameters=[USER_ID, CLIENT_ID],
    )
    def patch(self, request: Request, user_id: int, client_id: str) -> Response:
        data = self.body(s.PresenceSerializer)
        client = services.bot_client_renew(
            app=self.app, client_key=client_id, expires_in=data["presence_expires_in"]
        )
        return Response(s.ClientResourceSerializer(client).data)

    @operation(
        operation_id="clients_destroy",
        summary="Remove a user client",
        tags=["presence"],
        ok={204: None},
        errors={404: NO_CLIENT},
        parameters=[USER_ID, CLIENT_ID],
    )
    def delete(self, request: Request, user_id: int, client_id: str) -> Response:
        services.bot_client_delete(app=self.app, client_key=client_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PresentAgentsView(BotApiView):
    @operation(
        operation_id="present_agents_list",
        summary="People with the staff console open",
        description="Whether anybody could take a conversation over, before handing it over.",
        tags=["presence"],
        ok={200: s.PresentAgentSerializer(many=True)},
        parameters=[USER_ID],
    )
    def get(self, request: Request, user_id: int) -> Response:
        return Response(s.PresentAgentSerializer(chat_selectors.agent_presence(), many=True).data)


# --- conversations ----------------------------------------------------------------------------


PAGE_ERRORS = {404: "There is no such page."}


class _ChatListView(BotApiView):
    pagination_class = PagePagination

    def conversations_page(self, conversations: QuerySet[Conversation]) -> Response:
        page = self.paginate_queryset(conversations)
        shown = chat_selectors.products_shown(conversations=page)
        return self.get_paginated_response(
            s.ConversationResourceSerializer(page, many=True, context={"shown": shown}).data
        )


class RoutedChatListView(_ChatListView):
    @operation(
        operation_id="routed_chats_list",
        summary="Open conversations routed to the bot, newest first",
        tags=["chats"],
        ok={200: s.ConversationResourceSerializer(many=True)},
        errors={400: "page_size is not a whole number from 1 to 200.", **PAGE_ERRORS},
        parameters=[USER_ID],
    )
    def get(self, request: Request, user_id: int) -> Response:
        return self.conversations_page(selectors.bot_routed_conversations(app=self.app))


class PendingChatListView(_ChatListView):
    @operation(
        operation_id="pending_chats_list",
        summary="Routed conversations waiting for someone to join, longest waiting first",
        tags=["chats"],
        ok={200: s.ConversationResourceSerializer(many=True)},
        errors={400: "page_size is not a whole number from 1 to 200.", **PAGE_ERRORS},
        parameters=[USER_ID],
    )
    def get(self, request: Request, user_id: int) -> Response:
        return self.conversations_page(selectors.bot_pending_conversations(app=self.app))


class ChatView(BotApiView):
    @operation(
        operation_id="chats_retrieve",
        summary="A conversation routed to the bot",
        description="The same conversation is at /routed_chats/{chat_id} and /chats/{chat_id}.",
        tags=["chats"],
        ok={200: s.ConversationResourceSerializer},
        errors={404: NOT_READABLE},
        parameters=[USER_ID, CHAT_ID],
    )
    def get(self, request: Request, user_id: int, chat_id: int) -> Response:
        return Response(s.ConversationResourceSerializer(self.conversation(chat_id)).data)


class RoutedChatView(ChatView):
    @operation(
        operation_id="routed_chats_retrieve",
        summary="A conversation routed to the bot",
        tags=["chats"],
        ok={200: s.ConversationResourceSerializer},
        errors={404: NOT_READABLE},
        parameters=[USER_ID, CHAT_ID],
    )
    def get(self, request: Request, user_id: int, chat_id: int) -> Response:
        return super().get(request, user_id, chat_id)


# --- memberships ------------------------------------------------------------------------------


JOIN_NOT_FOUND = (
    'Not routed to the bot ("not_found"), or someone else joined it first ("taken": ignore '
    "the conversation, it is theirs)."
)


class RoutedMembershipView(BotApiView):
    pending_only = False

    @operation(
        operation_id="routed_chats_join",
        summary="Join a routed conversation",
        description="With is_participating (the default) the bot reserves the conversation: "
        "it answers it, as a person who took it. A conversation someone else joined "
        'first is 404 "taken".',
        tags=["memberships"],
        request=s.MembershipCreateSerializer,
        ok={201: s.MembershipResourceSerializer},
        errors={404: JOIN_NOT_FOUND, 409: 'The conversation is closed ("closed").'},
        parameters=[USER_ID, CHAT_ID],
    )
    def post(self, request: Request, user_id: int, chat_id: int) -> Response:
        data = self.body(s.MembershipCreateSerializer)
        membership = services.conversation_join(
            conversation_id=chat_id,
            app=self.app,
            participating=data["is_participating"],
            composing_status=data["composing_status"],
            pending_only=self.pending_only,
        )
        return Response(
            s.MembershipResourceSerializer(membership).data, status=status.HTTP_201_CREATED
        )


class PendingMembershipView(RoutedMembershipView):
    pending_only = True

    @operation(
        operation_id="pending_chats_join",
        summary="Join a pending conversation",
        description='As joining a routed one, but one that no longer waits is 404 "taken".',
        tags=["memberships"],
        request=s.MembershipCreateSerializer,
        ok={201: s.MembershipResourceSerializer},
        errors={404: JOIN_NOT_FOUND, 409: 'The conversation is closed ("closed").'},
        parameters=[USER_ID, CHAT_ID],
    )
    def post(self, request: Request, user_id: int, chat_id: int) -> Response:
        return super().post(request, user_id, chat_id)


MEMBER_ID = OpenApiParameter(
    "member_id",
    OpenApiTypes.INT,
    OpenApiParameter.PATH,
    description="The member's user id: the bot's own (user_id); any other is 403.",
)
NOT_ANSWERING = (
    'Not a member ("not_a_member"), not the one answering the conversation ("not_yours"), '
    'or it is closed ("closed").'
)


class MembershipView(BotApiView):
    @operation(
        operation_id="memberships_update",
        summary="Show the visitor that the bot types (or stops)",
        tags=["memberships"],
        request=s.MembershipUpdateSerializer,
        ok={200: s.MembershipResourceSerializer},
        errors={404: NOT_READABLE, 409: NOT_ANSWERING},
        parameters=[USER_ID, CHAT_ID, MEMBER_ID],
    )
    def patch(self, request: Request, user_id: int, chat_id: int, member_id: int) -> Response:
        self.own_member(member_id)
        data = self.body(s.MembershipUpdateSerializer)
        self.conversation(chat_id)
        membership = services.membership_update(
            conversation_id=chat_id, app=self.app, composing_status=data["composing_status"]
        )
        return Response(s.MembershipResourceSerializer(membership).data)

    @operation(
        operation_id="memberships_destroy",
        summary="Leave the conversation",
        description="One the bot answered goes back to the site's bot, or waits for a person.",
        tags=["memberships"],
        ok={204: None},
        errors={404: NOT_READABLE, 409: 'Not a member ("not_a_member").'},
        parameters=[USER_ID, CHAT_ID, MEMBER_ID],
    )
    def delete(self, request: Request, user_id: int, chat_id: int, member_id: int) -> Response:
        self.own_member(member_id)
        self.conversation(chat_id)
        services.conversation_leave(conversation_id=chat_id, app=self.app)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- messages ---------------------------------------------------------------------------------


IDEMPOTENCY_KEY = OpenApiParameter(
    s.IDEMPOTENCY_KEY_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    # The header's rule (botapps.api.fields.IDEMPOTENCY_KEY) in the schema's dialect.
    pattern="^[A-Za-z0-9_.:-]{1,64}$",
    description="Makes a retry safe: the same key with the same body stores nothing and "
    "answers 200 with the message stored the first time; with another body, 409.",
)
REPLAYED = OpenApiParameter(
    "Idempotent-Replayed",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    enum=["true"],
    response=[200],
    required=True,
    description="The message was stored by an earlier request with this Idempotency-Key.",
)


class MessageListView(BotApiView):
    pagination_class = IdCursorPagination

    @operation(
        operation_id="messages_list",
        summary="The conversation's messages, oldest first",
        description="Pages by cursor: follow next until it is null.",
        tags=["messages"],
        ok={200: s.MessageResourceSerializer(many=True)},
        errors={
            400: "page_size is not a whole number from 1 to 200.",
            404: NOT_READABLE + " Or the cursor is not valid.",
        },
        parameters=[USER_ID, CHAT_ID],
    )
    def get(self, request: Request, user_id: int, chat_id: int) -> Response:
        self.conversation(chat_id)
        messages = chat_selectors.conversation_messages(conversation_id=chat_id)
        page = self.paginate_queryset(messages)
        return self.get_paginated_response(s.MessageResourceSerializer(page, many=True).data)

    @operation(
        operation_id="messages_create",
        summary="Write to the visitor",
        description="Only in a conversation the bot answers (joined, participating).",
        tags=["messages"],
        request=s.MessageCreateSerializer,
        ok={
            201: s.MessageResourceSerializer,
            200: s.MessageResourceSerializer,
        },
        errors={
            404: NOT_READABLE,
            409: NOT_ANSWERING + " Or the Idempotency-Key was used for another message "
            '("idempotency_conflict").',
        },
        parameters=[USER_ID, CHAT_ID, IDEMPOTENCY_KEY, REPLAYED],
    )
    def post(self, request: Request, user_id: int, chat_id: int) -> Response:
        header = {}
        if s.IDEMPOTENCY_KEY_HEADER in request.headers:
            header[s.IDEMPOTENCY_KEY_HEADER] = request.headers[s.IDEMPOTENCY_KEY_HEADER]
        key = self.body(s.IdempotencyKeySerializer, header).get(s.IDEMPOTENCY_KEY_HEADER)
        data = self.body(s.MessageCreateSerializer)
        self.conversation(chat_id)
        post = services.bot_message_post(
            conversation_id=chat_id,
            app=self.app,
            text=data["message"],
            attachments=data["attachments"],
            idempotency_key=key,
        )
        resource = s.MessageResourceSerializer(post.message).data
        if post.duplicate:
            return Response(resource, headers={"Idempotent-Replayed": "true"})
        return Response(resource, status=status.HTTP_201_CREATED)


class HandOverView(BotApiView):
    @operation(
        operation_id="chats_hand_over",
        summary="Hand the conversation over to people, and leave it",
        description="It waits for a person, and everyone present and taking chats is "
        "alerted. With nobody there, the visitor is offered to leave a message.",
        tags=["chats"],
        request=s.HandOverSerializer,
        ok={200: s.HandOverResultSerializer},
        errors={404: NOT_READABLE, 409: NOT_ANSWERING},
        parameters=[USER_ID, CHAT_ID],
    )
    def post(self, request: Request, user_id: int, chat_id: int) -> Response:
        self.body(s.HandOverSerializer)
        self.conversation(chat_id)
        invited = services.conversation_hand_over(conversation_id=chat_id, app=self.app)
        result = {
            "invited": chat_selectors.agent_identities(user_ids=invited),
            "nobody_present": not invited,
        }
        return Response(s.HandOverResultSerializer(result).data)


def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any other path under /api/: the API's own 404, not the site's HTML page."""
    return JsonResponse(
        {"code": "not_found", "detail": "There is no such API endpoint: see /api/schema/."},
        status=404,
    )
