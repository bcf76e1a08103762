"""The audit log, and the database's refusal to change or delete its rows.

PostgreSQL refuses UPDATE and DELETE of a row (a trigger), whatever client asks; only
TRUNCATE of the whole table, which the table's owner alone may run, empties it (the test
suite's flush does). SQLite refuses UPDATE; it keeps DELETE, which its flush between
transactional tests needs (development only: production runs on PostgreSQL).
"""

import django.utils.timezone
from django.db import migrations, models

POSTGRESQL_ON = [
    """
    CREATE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit entries are append-only: % refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END;
    $$
    """,
    """
    CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry
        FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()
    """,
]
POSTGRESQL_OFF = [
    "DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_entry",
    "DROP FUNCTION IF EXISTS audit_entry_append_only()",
]
SQLITE_ON = [
    """
    CREATE TRIGGER audit_entry_append_only BEFORE UPDATE ON audit_entry
    BEGIN SELECT RAISE(ABORT, 'audit entries are append-only: UPDATE refused'); END
    """
]
SQLITE_OFF = ["DROP TRIGGER IF EXISTS audit_entry_append_only"]


def _run(statements: dict[str, list[str]]):
    def run(apps, schema_editor):
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, params=None)

    return run


refusal_on = _run({"postgresql": POSTGRESQL_ON, "sqlite": SQLITE_ON})
refusal_off = _run({"postgresql": POSTGRESQL_OFF, "sqlite": SQLITE_OFF})


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Entry",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "at",
                    models.DateTimeField(
                        db_index=True, default=django.utils.timezone.now, editable=False
                    ),
                ),
                ("actor_user_id", models.BigIntegerField(blank=True, editable=False, null=True)),
                ("actor_name", models.CharField(blank=True, editable=False, max_length=150)),
                (
                    "action",
                    models.CharField(
                        choices=[
                            ("taken", "took"),
                            ("transferred", "transferred"),
                            ("handed_back", "handed back"),
                            ("closed", "closed"),
                            ("auto_assigned", "auto-assigned"),
                            ("erased", "erased a visitor's data"),
                            ("exported", "exported a visitor's data"),
                            ("purged", "deleted past retention"),
                        ],
                        editable=False,
                        max_length=20,
                    ),
                ),
                ("conversation_id", models.BigIntegerField(blank=True, editable=False, null=True)),
                ("detail", models.JSONField(blank=True, default=dict, editable=False)),
            ],
            options={
                "verbose_name": "audit entry",
                "verbose_name_plural": "audit entries",
                "ordering": ["-at", "-id"],
                "default_permissions": ("view",),
                "indexes": [
                    models.Index(fields=["conversation_id"], name="audit_entry_conversation")
                ],
            },
        ),
        migrations.RunPython(refusal_on, refusal_off),
    ]
