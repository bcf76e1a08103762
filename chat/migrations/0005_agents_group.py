"""An "Agents" group holding the permission to chat: making a staff member an agent
is adding them to it."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Agents"


def create_agents_group(apps, schema_editor):
    # Permissions are normally made after all migrations; this one is needed now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(
        Permission.objects.get(content_type__app_label="chat", codename="chat_with_visitors")
    )


def delete_agents_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0004_human_agents"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_agents_group, delete_agents_group)]
