"""The audit log in admin: to read and filter, for those allowed to view it; nobody adds,
changes or deletes an entry there, superusers included."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse

from audit.admin import entry_summary
from audit.models import Entry
from audit.services import entry_record

pytestmark = pytest.mark.django_db

LIST = reverse("admin:audit_entry_changelist")
Action = Entry.Action


@pytest.fixture
def entries():
    return [
        entry_record(action=Action.TAKEN, conversation_id=5),
        entry_record(
            action=Action.ERASED,
            detail={
                "lookup": "email",
                "conversations": [5, 6],
                "counts": {"conversations": 2, "messages": 9},
            },
        ),
    ]


def staff_with(username: str, *codenames: str):
    user = get_user_model().objects.create_user(username, password="pw", is_staff=True)
    for codename in codenames:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return get_user_model().objects.get(pk=user.pk)


def test_the_log_lists_entries_with_what_they_were(admin_client, entries):
    page = admin_client.get(LIST).content.decode()
    assert "took" in page and "erased a visitor&#x27;s data" in page
    assert "found by email; conversations: 2, messages: 9; #5, #6" in page
    assert reverse("admin:chat_conversation_change", args=[5]) in page


def test_the_log_filters_by_action_and_finds_by_conversation(admin_client, entries):
    response = admin_client.get(LIST, {"action__exact": "erased"})
    assert list(response.context["cl"].result_list) == [entries[1]]
    response = admin_client.get(LIST, {"q": "5"})
    assert list(response.context["cl"].result_list) == [entries[0]]


def test_nobody_adds_changes_or_deletes_an_entry_in_admin(admin_client, entries):
    entry = entries[0]
    assert admin_client.get(reverse("admin:audit_entry_add")).status_code == 403
    delete = reverse("admin:audit_entry_delete", args=[entry.pk])
    assert admin_client.get(delete).status_code == 403
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    change = reverse("admin:audit_entry_change", args=[entry.pk])
    # The entry's page shows it read only, and a POST changes nothing.
    assert admin_client.get(change).status_code == 200
    assert admin_client.post(change, {"actor_name": "mallory"}).status_code == 403
    # No action on the list either (Django's "delete selected" included).
    assert admin_client.get(LIST).context["action_form"] is None
    assert Entry.objects.count() == 2


def test_only_those_allowed_to_view_the_log_read_it(client, entries):
    client.force_login(staff_with("agent"))
    assert client.get(LIST).status_code == 403
    client.force_login(staff_with("auditor", "view_entry"))
    assert client.get(LIST).status_code == 200


def test_the_model_has_no_permission_to_add_change_or_delete():
    assert set(
        Permission.objects.filter(content_type__app_label="audit").values_list(
            "codename", flat=True
        )
    ) == {"view_entry"}


def test_an_entry_s_summary_in_a_line():
    transfer = Entry(action=Action.TRANSFERRED, detail={"to_user_id": 4, "to_name": "ben"})
    assert entry_summary(transfer) == "to ben"
    purge = Entry(
        action=Action.PURGED,
        detail={"retention_days": 30, "counts": {"conversations": 3}},
    )
    assert entry_summary(purge) == "older than 30 days; conversations: 3"
    many = Entry(action=Action.ERASED, detail={"conversations": list(range(1, 13))})
    assert entry_summary(many).endswith("#10 and 2 more")
