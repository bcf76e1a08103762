"""The model of out-of-scope questions, and Case's first ones: what shop visitors commonly
ask that Case's knowledge does not answer, several of them in words its entries use
("a discount code" beside the starter code, "install Go" beside Isomorphic Go).

Written from the questions any web shop's support answers and from the tune split of
benchmarks/evaluation; none from a held-out split.
"""

import django.db.models.deletion
from django.db import migrations, models

OUT_OF_SCOPE = (
    "How much does shipping cost?",
    "How long does delivery take?",
    "Do you ship to other countries?",
    "Where is my order? How do I track it?",
    "What is your return policy?",
    "Can I get a refund?",
    "Can I cancel or change my order?",
    "Which payment methods do you accept?",
    "Do you have a discount code or a coupon?",
    "Do you sell gift cards?",
    "Can you gift wrap my order?",
    "I forgot my password and can't log in",
    "How do I delete my account?",
    "Can I get an invoice for my order?",
    "What are your opening hours?",
    "Where is your shop? Can I visit in person?",
    "What is your phone number or email address?",
    "Are you hiring? Do you have job openings?",
    "Do you offer wholesale or bulk prices?",
    "What do you do with my personal data?",
    "Is there a warranty?",
    "What's the weather like today?",
    "Tell me a joke",
    "Who won the football game last night?",
    "What is the meaning of life?",
    "Can you recommend a good restaurant?",
    "How do I install Go on my computer?",
    "How do I learn Python?",
    "What is JavaScript?",
    "How do I fix this compile error?",
    "How do I connect to a database?",
    "How do I deploy my app to the cloud?",
    "Which code editor should I use?",
    "How do goroutines and channels work?",
    "How do I write unit tests?",
    "Is Go faster than Rust?",
)


def install_out_of_scope(apps, schema_editor):
    Agent = apps.get_model("bots", "Agent")
    OutOfScopeQuestion = apps.get_model("bots", "OutOfScopeQuestion")
    for agent in Agent.objects.filter(slug="case"):
        OutOfScopeQuestion.objects.bulk_create(
            [OutOfScopeQuestion(agent=agent, text=text) for text in OUT_OF_SCOPE],
            ignore_conflicts=True,
        )


class Migration(migrations.Migration):
    dependencies = [("bots", "0007_unanswered_question_vector")]

    operations = [
        migrations.CreateModel(
            name="OutOfScopeQuestion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("text", models.CharField(max_length=300)),
                (
                    "agent",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="out_of_scope",
                        to="bots.agent",
                    ),
                ),
            ],
            options={
                "verbose_name": "out-of-scope question",
                "ordering": ["agent", "id"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("agent", "text"), name="bots_out_of_scope_agent_text"
                    )
                ],
            },
        ),
        # Removing the model removes its rows: nothing to undo.
        migrations.RunPython(install_out_of_scope, migrations.RunPython.noop),
    ]
