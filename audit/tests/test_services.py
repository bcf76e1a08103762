"""entry_record: the one way into the audit log."""

import pytest
from django.contrib.auth import get_user_model

from audit.models import Entry
from audit.services import entry_record, user_name

pytestmark = pytest.mark.django_db


def test_an_entry_keeps_who_by_id_and_by_name_as_they_were():
    anna = get_user_model().objects.create_user("anna")
    entry = entry_record(
        action=Entry.Action.TAKEN, actor_user_id=anna.pk, conversation_id=12, detail={"x": 1}
    )
    anna.username = "anna.old"
    anna.save()
    anna_pk = anna.pk
    anna.delete()
    entry = Entry.objects.get(pk=entry.pk)
    assert (entry.actor_user_id, entry.actor_name) == (anna_pk, "anna")
    assert (entry.action, entry.conversation_id, entry.detail) == ("taken", 12, {"x": 1})


def test_the_site_itself_has_no_name_and_an_unknown_action_is_refused():
    entry = entry_record(action=Entry.Action.PURGED)
    assert (entry.actor_user_id, entry.actor_name, entry.detail) == (None, "", {})
    with pytest.raises(ValueError, match="Unknown audit action 'deleted'"):
        entry_record(action="deleted")
    assert Entry.objects.count() == 1


def test_a_user_that_is_gone_has_no_name():
    assert user_name(None) == ""
    assert user_name(123456) == ""
