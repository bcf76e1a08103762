"""Labels on conversations, the indexes of the console's list, and, on PostgreSQL, the words
of every conversation for its full-text search (chat.search).

The words are a tsvector column of chat_conversation that the model never reads,
``search_vector``: a trigger adds each inserted message's words (the chat's own notices left
out) to its conversation's, however the message is inserted, and a GIN index finds
conversations by them. Existing conversations get theirs here. Other databases (SQLite, in
development) have neither: the console searches them with a plain substring match.
"""

import django.db.models.deletion
import django.db.models.functions.text
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import chat.colors

# 'simple': lower-cased words, no stemming and no stop words, the same for English, German
# and Spanish (chat.search says why). Positions are kept: a hyphenated or dotted word is
# searched as a phrase of its parts. A conversation's words stop growing at about 500 kB (a
# tsvector holds at most 1 MB): what its visitor writes after that is not found by search.
WORDS = "to_tsvector('simple'::regconfig, left(string_agg(text, ' ' ORDER BY id), 100000))"

SEARCH_SQL = [
    "ALTER TABLE chat_conversation ADD COLUMN search_vector tsvector",
    f"""
UPDATE chat_conversation AS conversation SET search_vector = added.words
FROM (
    SELECT conversation_id, {WORDS} AS words
    FROM chat_message WHERE sender_role <> 'system' GROUP BY conversation_id
) AS added
WHERE conversation.id = added.conversation_id
""",
    "CREATE INDEX chat_conv_words ON chat_conversation USING gin (search_vector)",
    f"""
CREATE FUNCTION chat_conversation_words_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- One UPDATE per INSERT statement, however many messages (of however many
    -- conversations) it inserted.
    UPDATE chat_conversation AS conversation
    SET search_vector = coalesce(conversation.search_vector, ''::tsvector) || added.words
    FROM (
        SELECT conversation_id, {WORDS} AS words
        FROM chat_inserted_messages WHERE sender_role <> 'system' GROUP BY conversation_id
    ) AS added
    WHERE conversation.id = added.conversation_id
        AND added.words <> ''::tsvector
        -- A tsvector's text is about as long as its binary form: 500,000 characters of it
        -- stay below the 1 MB a tsvector may hold.
        AND octet_length(coalesce(conversation.search_vector, ''::tsvector)::text)
            + octet_length(added.words::text) < 500000;
    RETURN NULL;
END
$$
""",
    """
CREATE TRIGGER chat_message_words AFTER INSERT ON chat_message
REFERENCING NEW TABLE AS chat_inserted_messages
FOR EACH STATEMENT EXECUTE FUNCTION chat_conversation_words_add()
""",
]

SEARCH_SQL_REVERSE = [
    "DROP TRIGGER chat_message_words ON chat_message",
    "DROP FUNCTION chat_conversation_words_add()",
    "DROP INDEX chat_conv_words",
    "ALTER TABLE chat_conversation DROP COLUMN search_vector",
]


def search_add(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in SEARCH_SQL:
            schema_editor.execute(statement, params=None)


def search_remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in SEARCH_SQL_REVERSE:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0017_reports_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Label",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=40)),
                (
                    "color",
                    models.CharField(
                        default="#6b7280",
                        help_text="As #rrggbb: a swatch beside the name in the console.",
                        max_length=7,
                        validators=[chat.colors.validate_hex_color],
                        verbose_name="colour",
                    ),
                ),
            ],
            options={
                "ordering": ["name"],
                "constraints": [
                    models.UniqueConstraint(
                        django.db.models.functions.text.Lower("name"),
                        name="chat_label_name_unique",
                        violation_error_message="There is a label of this name already.",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="ConversationLabel",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("added_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "added_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "conversation",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        to="chat.conversation",
                    ),
                ),
                (
                    "label",
                    models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="chat.label"),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("conversation", "label"),
                        name="chat_label_once_per_conversation",
                    )
                ],
            },
        ),
        migrations.AddField(
            model_name="conversation",
            name="labels",
            field=models.ManyToManyField(
                blank=True,
                related_name="conversations",
                through="chat.ConversationLabel",
                to="chat.label",
            ),
        ),
        migrations.AddIndex(
            model_name="conversation",
            index=models.Index(fields=["-last_message_at", "-id"], name="chat_conv_activity"),
        ),
        migrations.AddIndex(
            model_name="conversation",
            index=models.Index(fields=["state", "-last_message_at", "-id"], name="chat_conv_state"),
        ),
        migrations.AddIndex(
            model_name="conversation",
            index=models.Index(
                fields=["assigned_agent", "-last_message_at", "-id"], name="chat_conv_agent"
            ),
        ),
        migrations.RunPython(search_add, search_remove, elidable=False),
    ]
