"""A bot's editable profile is a BotProfile, not an "Agent": agents are the staff who chat.

Renames only: every row, and every entry's link to its bot, stays as it was.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("bots", "0008_case_out_of_scope")]

    operations = [
        migrations.RenameModel(old_name="Agent", new_name="BotProfile"),
        migrations.RemoveConstraint(
            model_name="outofscopequestion", name="bots_out_of_scope_agent_text"
        ),
        migrations.RemoveConstraint(
            model_name="unansweredquestion", name="bots_unanswered_agent_key"
        ),
        migrations.RenameField(model_name="knowledgeentry", old_name="agent", new_name="profile"),
        migrations.RenameField(
            model_name="outofscopequestion", old_name="agent", new_name="profile"
        ),
        migrations.RenameField(model_name="samplequestion", old_name="agent", new_name="profile"),
        migrations.RenameField(
            model_name="unansweredquestion", old_name="agent", new_name="profile"
        ),
        migrations.AddConstraint(
            model_name="outofscopequestion",
            constraint=models.UniqueConstraint(
                fields=("profile", "text"), name="bots_out_of_scope_profile_text"
            ),
        ),
        migrations.AddConstraint(
            model_name="unansweredquestion",
            constraint=models.UniqueConstraint(
                fields=("profile", "key"), name="bots_unanswered_profile_key"
            ),
        ),
        migrations.AlterModelOptions(
            name="knowledgeentry",
            options={"ordering": ["profile", "id"], "verbose_name_plural": "knowledge entries"},
        ),
        migrations.AlterModelOptions(
            name="outofscopequestion",
            options={"ordering": ["profile", "id"], "verbose_name": "out-of-scope question"},
        ),
        migrations.AlterModelOptions(
            name="samplequestion", options={"ordering": ["profile", "id"]}
        ),
    ]
