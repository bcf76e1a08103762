"""Entries are only ever added: the model refuses to change or delete one, and so does the
database, whoever asks it."""

import pytest
from django.db import DatabaseError, connection, transaction

from audit.models import AppendOnly, Entry

pytestmark = pytest.mark.django_db


def make_entry() -> Entry:
    return Entry.objects.create(action=Entry.Action.CLOSED, actor_name="anna", conversation_id=7)


def test_an_entry_is_added_and_read_back():
    entry = make_entry()
    assert Entry.objects.get() == entry
    assert str(entry).startswith("anna closed at ")
    assert str(Entry(action=Entry.Action.PURGED)).startswith("the site deleted past retention")


def test_the_model_refuses_to_change_or_delete_an_entry():
    entry = make_entry()
    entry.actor_name = "mallory"
    with pytest.raises(AppendOnly):
        entry.save()
    with pytest.raises(AppendOnly):
        entry.delete()
    with pytest.raises(AppendOnly):
        Entry.objects.filter(pk=entry.pk).update(actor_name="mallory")
    with pytest.raises(AppendOnly):
        Entry.objects.all().delete()
    # bulk_update changes rows in a transaction of its own making: refused in it.
    with pytest.raises(AppendOnly), transaction.atomic():
        Entry.objects.bulk_update([entry], ["actor_name"])
    assert Entry.objects.get().actor_name == "anna"


def test_the_database_refuses_to_change_an_entry_whoever_asks():
    entry = make_entry()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_entry SET actor_name = 'mallory' WHERE id = %s", [entry.pk])
    assert Entry.objects.get().actor_name == "anna"


def test_postgresql_refuses_to_delete_an_entry_sqlite_leaves_that_to_the_model():
    """SQLite's flush between transactional tests deletes rows one by one, so only
    PostgreSQL (production's database) refuses DELETE; its flush truncates."""
    entry = make_entry()
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_entry WHERE id = %s", [entry.pk])
        assert Entry.objects.filter(pk=entry.pk).exists()
    else:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_entry WHERE id = %s", [entry.pk])
        assert not Entry.objects.filter(pk=entry.pk).exists()
