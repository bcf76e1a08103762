import re

from chat import groups

VALID_GROUP = re.compile(r"^[a-zA-Z0-9_.-]{1,99}$")


def test_conversation_group_is_built_from_the_integer_id_only():
    assert groups.conversation_group(42) == "chat.conversation.42"
    assert VALID_GROUP.match(groups.conversation_group(10**12))


def test_every_group_name_is_valid_and_visitor_and_staff_sides_differ():
    names = [
        groups.conversation_group(10**12),
        groups.conversation_staff_group(10**12),
        groups.staff_inbox_group(),
        groups.visitors_group(),
        groups.connection_group("specific.0123456789abcdef0123456789abcdef!0123456789ab"),
        groups.connection_group("specific..inmemory!AbCdEfGhIjKl"),
    ]
    assert all(VALID_GROUP.match(name) for name in names)
    assert len(set(names)) == len(names)
