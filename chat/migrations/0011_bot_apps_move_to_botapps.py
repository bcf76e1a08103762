"""Bot apps move to their own app (botapps/migrations/0001 takes over their tables, rows and all).

Nothing changes in the database here: the chat forgets the models, the bot apps' app adopts them.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("chat", "0010_products_move_to_shop")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name="conversation", name="routed_to"),
                migrations.DeleteModel(name="WebhookAttempt"),
                migrations.DeleteModel(name="WebhookDelivery"),
                migrations.DeleteModel(name="Membership"),
                migrations.DeleteModel(name="BotApp"),
            ],
        ),
    ]
