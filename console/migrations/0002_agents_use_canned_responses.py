"""The "Agents" group (chat's 0005) may add, change and delete canned responses, as they may
chat: the team keeps its own replies. A site that wants fewer hands on them takes the
permissions off the group."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Agents"
CODENAMES = [f"{action}_cannedresponse" for action in ("view", "add", "change", "delete")]


def give_agents_canned_responses(apps, schema_editor):
    # Permissions are normally made after all migrations; these are needed now.
    app_config = apps.get_app_config("console")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    group = apps.get_model("auth", "Group").objects.filter(name=GROUP).first()
    if group is None:  # the site removed it: nobody to give them to
        return
    Permission = apps.get_model("auth", "Permission")
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="console", codename__in=CODENAMES)
    )


def take_them_back(apps, schema_editor):
    group = apps.get_model("auth", "Group").objects.filter(name=GROUP).first()
    if group is not None:
        Permission = apps.get_model("auth", "Permission")
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="console", codename__in=CODENAMES)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("console", "0001_initial"),
        ("chat", "0005_agents_group"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(give_agents_canned_responses, take_them_back)]
