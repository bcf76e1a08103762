"""console/migrations: the "Agents" group may edit the team's canned responses."""

import pytest
from django.contrib.auth.models import Group

from testsupport.migrations import migrate, migrated_back

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

CANNED = {
    "view_cannedresponse",
    "add_cannedresponse",
    "change_cannedresponse",
    "delete_cannedresponse",
}


def agents_may() -> set[str]:
    return set(
        Group.objects.get(name="Agents")
        .permissions.filter(content_type__app_label="console")
        .values_list("codename", flat=True)
    )


def test_agents_may_add_change_and_delete_canned_responses_and_back():
    assert agents_may() == CANNED
    with migrated_back([("console", "0001_initial")]):
        assert agents_may() == set()
    assert agents_may() == CANNED


def test_a_site_without_the_agents_group_migrates_all_the_same():
    with migrated_back([("console", "0001_initial")]):
        Group.objects.filter(name="Agents").delete()
        migrate([("console", "0002_agents_use_canned_responses")])
        assert not Group.objects.filter(name="Agents").exists()
