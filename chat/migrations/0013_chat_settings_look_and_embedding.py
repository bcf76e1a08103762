"""The chat box's look (brand colour, launcher side, welcome text) and the other sites allowed to
embed it, edited in admin with the other chat settings.

"""

from django.db import migrations, models

import chat.colors


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0012_conversation_read_and_rating"),
    ]

    operations = [
        migrations.AddField(
            model_name="chatsettings",
            name="allowed_origins",
            field=models.TextField(
                blank=True,
                help_text="One origin a line, e.g. https://shop.example.org: scheme, host and port only. Pages there may show the chat box (the embed script) and talk to the chat; no other site may.",
                verbose_name="sites allowed to embed the chat",
            ),
        ),
        migrations.AddField(
            model_name="chatsettings",
            name="launcher_side",
            field=models.CharField(
                choices=[("right", "bottom right"), ("left", "bottom left")],
                default="right",
                max_length=5,
                verbose_name="launcher position",
            ),
        ),
        migrations.AddField(
            model_name="chatsettings",
            name="primary_color",
            field=models.CharField(
                default="#1f7a8c",
                help_text="The launcher, the header, the buttons and the visitor's messages, as #rrggbb. They carry white text, so the colour must be dark enough for it (WCAG AA, 4.5:1).",
                max_length=7,
                validators=[chat.colors.validate_primary_color],
                verbose_name="brand colour",
            ),
        ),
        migrations.AddField(
            model_name="chatsettings",
            name="welcome_text",
            field=models.CharField(
                blank=True,
                default="Hi! Questions about our products? Ask us here.",
                help_text="Shown at the top of the open chat box; leave it empty for none.",
                max_length=200,
                verbose_name="welcome text",
            ),
        ),
    ]
