import re

from chat.groups import connection_group, conversation_group

VALID_GROUP = re.compile(r"^[a-zA-Z0-9_.-]{1,99}$")


def test_connection_groups_are_valid_and_distinct_for_any_channel_name():
    names = ["specific.abc!def", "specific.abc!deg", "inmemory.xyz!ü ☃", "a" * 300]
    groups = [connection_group(name) for name in names]
    assert all(VALID_GROUP.match(group) for group in groups)
    assert len(set(groups)) == len(names)
    assert connection_group(names[0]) == groups[0]


def test_conversation_group_is_built_from_the_integer_id_only():
    assert conversation_group(42) == "chat.conversation.42"
    assert VALID_GROUP.match(conversation_group(10**12))
