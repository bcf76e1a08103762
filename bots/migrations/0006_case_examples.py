"""Example questions for the seed's nine entries: ways visitors ask what each answers.

Written from the tune split of benchmarks/evaluation and from how visitors phrase things; none
from a held-out split. Entries are found by their seed terms, so an entry staff have
already reworded keeps its examples as they are (it gets none of these).
"""

from django.db import migrations

EXAMPLES = {
    "isomorphic go isomorphic go web applications": [
        "What is Isomorphic Go?",
        "What does isomorphic mean?",
        "Can the same Go code run in the browser and on the server?",
        "What is this Isomorphic Go thing I keep hearing about?",
        "Explain isomorphic web apps in Go",
        "Is Isomorphic Go a framework?",
    ],
    "kick recompile code restart web server instance instant kickstart lightweight mechanism": [
        "How can I recompile code instantly?",
        "Is there a tool that restarts my Go server when I save a file?",
        "How do I get live reload for a Go web server?",
        "What is Kick?",
        "Can my app rebuild automatically whenever I change the source?",
        "Is there a file watcher that rebuilds my gopherjs code?",
        "I'm tired of restarting my server by hand every time I change something",
    ],
    "starter code starter kit": [
        "Where can I get starter code?",
        "Is there a template project to start from?",
        "Do you have a boilerplate app I can clone?",
        "Where is a sample app to begin an Isomorphic Go project?",
        "How do I start a new Isomorphic Go project?",
        "Is there a skeleton app on GitHub?",
        "I need a starting point for my first app",
    ],
    "lack intelligence idiot stupid dumb dummy don't know anything": [
        "You are stupid",
        "What a dumb bot",
        "You don't know anything",
        "Are you an idiot?",
        "This bot is useless",
    ],
    "find talk topic presentation lecture subject": [
        "Where can I find a talk on this topic?",
        "Is there a video about Isomorphic Go?",
        "Has anyone given a conference presentation on this?",
        "Can I watch a lecture on Isomorphic Go?",
        "Is there a recording of a talk about it?",
        "I'd rather watch than read, is there a video?",
    ],
    "benefits of the technology significance of the technology importance of the technology": [
        "What are the benefits of this technology?",
        "Why should I use Isomorphic Go?",
        "What are the advantages over JavaScript?",
        "Why would I pick Go for the front end?",
        "What's good about Isomorphic Go?",
        "Why does this matter?",
        "Is it worth switching to?",
    ],
    "perform routing web app register routes define routes": [
        "How can I perform routing in my web app?",
        "How do I navigate between pages without a full reload?",
        "How do I set up client-side routes?",
        "Is there a router for Isomorphic Go?",
        "How do I map URLs to pages in the browser?",
    ],
    "render templates perform template rendering": [
        "How do I render templates?",
        "Can templates be shared between the server and the client?",
        "How does templating work in Isomorphic Go?",
        "How do I render HTML views on both sides?",
        "What are template sets?",
        "How are pages rendered?",
    ],
    "cogs reusable components react-like react": [
        "Does isomorphic go offer anything react-like?",
        "Are there reusable UI components?",
        "What are cogs?",
        "Can I build components like in React or Vue?",
        "How do I make widgets I can reuse across pages?",
    ],
}


def install_examples(apps, schema_editor):
    KnowledgeEntry = apps.get_model("bots", "KnowledgeEntry")
    ExampleQuestion = apps.get_model("bots", "ExampleQuestion")
    for entry in KnowledgeEntry.objects.filter(agent__slug="case", terms__in=list(EXAMPLES)):
        ExampleQuestion.objects.bulk_create(
            [ExampleQuestion(entry=entry, text=text) for text in EXAMPLES[entry.terms]],
            ignore_conflicts=True,
        )


def remove_examples(apps, schema_editor):
    apps.get_model("bots", "ExampleQuestion").objects.filter(
        entry__agent__slug="case", entry__terms__in=list(EXAMPLES)
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("bots", "0005_knowledge_examples_vectors")]
    operations = [migrations.RunPython(install_examples, remove_examples)]
