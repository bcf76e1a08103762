"""The bot apps' tables and their constraint take the app's name."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("botapps", "0001_initial"),
        ("chat", "0011_bot_apps_move_to_botapps"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="membership",
            name="chat_membership_once_per_user",
        ),
        migrations.AlterField(
            model_name="botapp",
            name="routed_conversations",
            field=models.ManyToManyField(
                blank=True, editable=False, related_name="routed_to", to="chat.conversation"
            ),
        ),
        migrations.AddConstraint(
            model_name="membership",
            constraint=models.UniqueConstraint(
                fields=("conversation", "user"), name="botapps_membership_once_per_user"
            ),
        ),
        migrations.AlterModelTable(
            name="botapp",
            table=None,
        ),
        migrations.AlterModelTable(
            name="membership",
            table=None,
        ),
        migrations.AlterModelTable(
            name="webhookattempt",
            table=None,
        ),
        migrations.AlterModelTable(
            name="webhookdelivery",
            table=None,
        ),
    ]
