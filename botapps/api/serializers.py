"""The API's resources and request bodies. Webhooks carry the same resources."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from bots.selectors import thumbnail_url
from chat import conf as chat_conf
from chat import protocol
from chat import selectors as chat_selectors
from chat.models import AgentClient, Conversation, Message

from .. import conf, selectors
from ..models import BotApp, Membership
from .fields import (
    HAS_TEXT,
    IDEMPOTENCY_KEY,
    NO_CONTROL_CHARACTERS,
    HttpUrlField,
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
    StrictIntegerField,
    StrictSerializer,
)

SENDER_TYPES = ["visitor", "user", "bot", "system"]


# --- rich content: what a bot app's message carries ------------------------------------------


LABEL_LENGTH = 80


class ButtonActionSerializer(StrictSerializer):
    """A quick reply: the visitor's press comes back as their message, its text the label
    and its response_value the value."""

    type = StrictChoiceField(choices=["button"])
    text = StrictCharField(
        max_length=LABEL_LENGTH,
        pattern=HAS_TEXT,
        pattern_message="Write a label.",
        help_text="The label, also the text of the visitor's message when pressed.",
    )
    value = StrictCharField(
        max_length=protocol.MAX_VALUE_LENGTH,
        trim_whitespace=False,
        pattern=NO_CONTROL_CHARACTERS,
        pattern_message="A value holds no control characters.",
        help_text="What the bot gets back as the message's response_value.",
    )


class LinkActionSerializer(StrictSerializer):
    """A link the visitor opens in a new tab."""

    type = StrictChoiceField(choices=["link"])
    text = StrictCharField(
        max_length=LABEL_LENGTH, pattern=HAS_TEXT, pattern_message="Write a label."
    )
    link = HttpUrlField(max_length=500, help_text="Opened in a new tab: an http(s) URL.")


ACTION_SERIALIZERS: dict[str, type[StrictSerializer]] = {
    "button": ButtonActionSerializer,
    "link": LinkActionSerializer,
}


@extend_schema_field(
    PolymorphicProxySerializer(
        component_name="Action",
        serializers=ACTION_SERIALIZERS,
        resource_type_field_name="type",
    )
)
class ActionField(serializers.Field):
    default_error_messages = {
        "invalid": "An action must be an object.",
        "type": 'type must be "button" or "link".',
    }

    def to_internal_value(self, data: Any) -> dict[str, str]:
        if not isinstance(data, Mapping):
            self.fail("invalid")
        kind = data.get("type")
        serializer_class = ACTION_SERIALIZERS.get(kind) if isinstance(kind, str) else None
        if serializer_class is None:
            raise serializers.ValidationError({"type": [self.error_messages["type"]]})
        serializer = serializer_class(data=data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def to_representation(self, value: dict[str, str]) -> dict[str, str]:
        return value


class AttachmentSerializer(StrictSerializer):
    """Rich content under a message: an optional text, then buttons and links."""

    text = StrictCharField(
        required=False,
        max_length=1000,
        pattern=HAS_TEXT,
        pattern_message="Write a text, or leave it out (and no NUL characters).",
        help_text="Shown above the actions.",
    )
    actions = serializers.ListField(
        child=ActionField(), min_length=1, max_length=protocol.MAX_ACTIONS
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # Stored as plain JSON, only these keys: what a retry is compared with, byte for byte.
        attachment: dict[str, Any] = {"text": attrs["text"]} if "text" in attrs else {}
        attachment["actions"] = list(attrs["actions"])
        return attachment


@extend_schema_field(AttachmentSerializer(many=True))
class AttachmentsField(serializers.JSONField):
    """A message's attachments as stored: already in the shape AttachmentSerializer gives."""


# --- resources webhooks carry too -------------------------------------------------------------


class ProductSerializer(serializers.Serializer):
    """The product page the visitor opened the chat on."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    url = serializers.CharField(read_only=True, help_text="Path of the product's page.")


class MessageResourceSerializer(serializers.ModelSerializer):
    """A chat message as bot apps see it."""

    attachments = AttachmentsField(read_only=True)

    id = serializers.UUIDField(source="uid", read_only=True)
    chat_id = serializers.IntegerField(source="conversation_id", read_only=True)
    type = serializers.SerializerMethodField(
        help_text='"msg" for what people and bots write, "info" for the chat\'s own notices.'
    )
    sender_type = serializers.SerializerMethodField(
        help_text='"visitor"; "user" for agents and bot apps (see sender_id); "bot" for the '
        'site\'s own bot; "system" for notices.'
    )
    sender_id = serializers.IntegerField(source="sender_user_id", read_only=True, allow_null=True)
    message = serializers.CharField(source="text", read_only=True)
    created_at = serializers.DateTimeField(source="sent_at", read_only=True)

    class Meta:
        model = Message
        fields = [
            "id",
            "chat_id",
            "type",
            "sender_type",
            "sender_id",
            "sender_name",
            "sender_title",
            "message",
            "attachments",
            "response_value",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field({"type": "string", "enum": ["msg", "info"]})
    def get_type(self, message: Message) -> str:
        return "info" if message.sender_role == Message.Role.SYSTEM else "msg"

    @extend_schema_field({"type": "string", "enum": SENDER_TYPES})
    def get_sender_type(self, message: Message) -> str:
        if message.sender_role == Message.Role.AGENT:
            return "user"
        return message.sender_role


class ConversationResourceSerializer(serializers.ModelSerializer):
    """A conversation (a "chat" in the API's words) as bot apps see it."""

    is_pending = serializers.SerializerMethodField(
        help_text="Waiting for someone to join: the visitor asked for a person."
    )
    is_closed = serializers.SerializerMethodField()
    assigned_user_id = serializers.IntegerField(
        source="assigned_agent_id", read_only=True, allow_null=True
    )
    page = serializers.CharField(source="current_page", read_only=True)
    product = serializers.SerializerMethodField()

    class Meta:
        model = Conversation
        fields = [
            "id",
            "state",
            "is_pending",
            "is_closed",
            "assigned_user_id",
            "created_at",
            "last_message_at",
            "page",
            "product",
        ]
        read_only_fields = fields

    def get_is_pending(self, conversation: Conversation) -> bool:
        return conversation.state == Conversation.State.WAITING

    def get_is_closed(self, conversation: Conversation) -> bool:
        return conversation.state == Conversation.State.CLOSED

    @extend_schema_field(ProductSerializer(allow_null=True))
    def get_product(self, conversation: Conversation) -> dict | None:
        # A list is given its page's products at once (context "shown"); one alone reads its own.
        shown = self.context.get("shown")
        if shown is None:
            shown = chat_selectors.products_shown(conversations=[conversation])
        return shown.get(conversation.current_product_id)


# --- resources of the bot's own -------------------------------------------------------------


class UserResourceSerializer(serializers.Serializer):
    """The bot app's bot user, with its online state."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    avatar = serializers.URLField(
        read_only=True, allow_null=True, help_text="Absolute URL of the avatar, if it has one."
    )
    is_online_enabled = serializers.BooleanField(
        read_only=True, help_text="Whether the bot wants to be online (it sets this)."
    )
    is_present = serializers.BooleanField(
        read_only=True, help_text="Whether one of its user clients has not expired."
    )
    is_online = serializers.BooleanField(
        read_only=True,
        help_text="Online enabled and present: the chat shows online for the bot's sake.",
    )

    def to_representation(self, app: BotApp) -> dict[str, Any]:
        request = self.context.get("request")
        avatar = None
        if app.avatar:
            avatar = thumbnail_url(app.avatar)
            if request is not None:
                avatar = request.build_absolute_uri(avatar)
        return super().to_representation(
            {
                "id": app.user_id,
                **chat_selectors.agent_identity(app.user),
                "avatar": avatar,
                **selectors.bot_app_presence(app=app),
            }
        )


class ClientResourceSerializer(serializers.ModelSerializer):
    """One of the bot user's clients: a presence it keeps alive."""

    id = serializers.CharField(source="key", read_only=True)
    is_present = serializers.SerializerMethodField(help_text="Not expired yet.")

    class Meta:
        model = AgentClient
        fields = ["id", "expires_at", "is_present"]
        read_only_fields = fields

    def get_is_present(self, client: AgentClient) -> bool:
        return client.expires_at > timezone.now()


class PresentAgentSerializer(serializers.Serializer):
    """A person with the staff console open: somebody who could take a conversation over."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    is_accepting = serializers.BooleanField(
        source="accepting", read_only=True, help_text="Takes new chats."
    )


class MembershipResourceSerializer(serializers.ModelSerializer):
    """The bot's membership of a conversation."""

    chat_id = serializers.IntegerField(source="conversation_id", read_only=True)
    user_id = serializers.IntegerField(read_only=True)
    created_at = serializers.DateTimeField(source="joined_at", read_only=True)

    class Meta:
        model = Membership
        fields = ["chat_id", "user_id", "is_participating", "composing_status", "created_at"]
        read_only_fields = fields


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)


class HandOverResultSerializer(serializers.Serializer):
    invited = PersonSerializer(
        many=True, read_only=True, help_text="The people alerted: present and taking chats."
    )
    nobody_present = serializers.BooleanField(
        read_only=True,
        help_text="Nobody could be alerted: the visitor was offered to leave a message.",
    )


# --- errors -----------------------------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    """Every error the API answers: a code to branch on and a sentence to log."""

    code = serializers.CharField(
        read_only=True,
        help_text="not_authenticated, authentication_failed, forbidden, not_found, taken, "
        "not_yours, not_a_member, closed, idempotency_conflict, invalid, parse_error, "
        "unsupported_media_type, method_not_allowed, too_large, throttled, ...",
    )
    detail = serializers.CharField(read_only=True)


class ValidationErrorSerializer(ErrorSerializer):
    """A request the API cannot take as it is (code "invalid"): what is wrong, by field."""

    def get_fields(self) -> dict[str, serializers.Field]:
        # A field named "fields" cannot be declared on the class: Serializer.fields is taken.
        fields = super().get_fields()
        fields["fields"] = serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            read_only=True,
            help_text='Messages by field; nested fields are dotted ("attachments.0.actions.1.'
            'link"), the body as a whole is "non_field_errors".',
        )
        return fields


# --- request bodies ---------------------------------------------------------------------------


class UserUpdateSerializer(StrictSerializer):
    """Online or offline."""

    is_online_enabled = StrictBooleanField(
        help_text="Online and present, the bot makes the chat show online."
    )


class PresenceSerializer(StrictSerializer):
    """How long the bot stays present."""

    def get_fields(self) -> dict[str, serializers.Field]:
        # Read per request (not at import) so that the setting can change.
        fields = super().get_fields()
        fields["presence_expires_in"] = StrictIntegerField(
            min_value=1,
            max_value=conf.get("CHAT_API_MAX_PRESENCE_EXPIRES_IN"),
            help_text="Seconds from now the bot stays present unless renewed.",
        )
        return fields


class MembershipCreateSerializer(StrictSerializer):
    """Joining a conversation."""

    is_participating = StrictBooleanField(
        default=True,
        help_text="Reserve the conversation: the bot answers it and it is nobody else's.",
    )
    composing_status = StrictChoiceField(
        choices=Membership.Composing.choices, default=Membership.Composing.IDLE
    )


class MembershipUpdateSerializer(StrictSerializer):
    """Typing, or not."""

    composing_status = StrictChoiceField(
        choices=Membership.Composing.choices,
        help_text='"typing" shows the visitor that the bot is writing, "idle" stops it.',
    )


class MessageCreateSerializer(StrictSerializer):
    """A message to the visitor."""

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["message"] = StrictCharField(
            max_length=chat_conf.get("CHAT_MAX_MESSAGE_LENGTH"),
            pattern=HAS_TEXT,
            pattern_message="Write a message (and no NUL characters).",
            help_text="The text; leading and trailing white space is dropped.",
        )
        fields["attachments"] = serializers.ListField(
            child=AttachmentSerializer(),
            max_length=protocol.MAX_ATTACHMENTS,
            required=False,
            default=list,
            help_text="Rich content: quick-reply buttons and links.",
        )
        return fields


class HandOverSerializer(StrictSerializer):
    """Nothing to say: an empty body, or {}."""


IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"


class IdempotencyKeySerializer(serializers.Serializer):
    """The Idempotency-Key header, checked as a body field would be."""

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields[IDEMPOTENCY_KEY_HEADER] = StrictCharField(
            required=False,
            trim_whitespace=False,
            pattern=IDEMPOTENCY_KEY,
            pattern_message="1 to 64 letters, digits, '_', '-', '.' or ':'.",
        )
        return fields
