"""Installs Case: its profile, the seed's nine knowledge entries and seven sample questions."""

from django.db import migrations

KNOWLEDGE = [
    (
        "isomorphic go isomorphic go web applications",
        "Isomorphic Go is the methodology to create isomorphic web applications using the Go "
        "(Golang) programming language. An isomorphic web application, is a web application, "
        "that contains code which can run, on both the web client and the web server.",
    ),
    (
        "kick recompile code restart web server instance instant kickstart lightweight mechanism",
        "Kick is a lightweight mechanism to provide an instant kickstart to a Go web server "
        "instance, upon the modification of a Go source file within a particular project "
        "directory (including any subdirectories). An instant kickstart consists of a "
        "recompilation of the Go code and a restart of the web server instance. Kick comes with "
        "the ability to take both the go and gopherjs commands into consideration when "
        "performing the instant kickstart. This makes it a really handy tool for isomorphic "
        "golang projects.",
    ),
    (
        "starter code starter kit",
        "The isogoapp, is a basic, barebones web app, intended to be used as a starting point "
        "for developing an Isomorphic Go application. Here's the link to the github page: "
        "https://github.com/isomorphicgo/isogoapp",
    ),
    (
        "lack intelligence idiot stupid dumb dummy don't know anything",
        "Please don't question my intelligence, it's artificial after all!",
    ),
    (
        "find talk topic presentation lecture subject",
        "Watch the Isomorphic Go talk by Kamesh Balasubramanian at GopherCon India: "
        "https://youtu.be/zrsuxZEoTcs",
    ),
    (
        "benefits of the technology significance of the technology importance of the technology",
        "Here are some benefits of Isomorphic Go: Unlike JavaScript, Go provides type safety, "
        "allowing us to find and eliminate many bugs at compile time itself. Eliminates mental "
        "context-shifts between back-end and front-end coding. Page loading prompts are not "
        "necessary.",
    ),
    (
        "perform routing web app register routes define routes",
        "You can implement client-side routing in your web application using the isokit Router "
        "preventing the dreaded full page reload.",
    ),
    (
        "render templates perform template rendering",
        "Use template sets, a set of project templates that are persisted in memory and are "
        "available on both the server-side and the client-side",
    ),
    (
        "cogs reusable components react-like react",
        "Cogs are reuseable components in an Isomorphic Go web application.",
    ),
]

SAMPLE_QUESTIONS = [
    "What is isomorphic go?",
    "What are the benefits of this technology?",
    "Does isomorphic go offer anything react-like?",
    "How can I recompile code instantly?",
    "How can I perform routing in my web app?",
    "Where can I get starter code?",
    "Where can I find a talk on this topic?",
]


def install_case(apps, schema_editor):
    Agent = apps.get_model("bots", "Agent")
    KnowledgeEntry = apps.get_model("bots", "KnowledgeEntry")
    SampleQuestion = apps.get_model("bots", "SampleQuestion")
    agent, _ = Agent.objects.get_or_create(
        slug="case",
        defaults={
            "name": "Case",
            "title": "Resident Isomorphic Gopher Agent",
            "thumbnail_path": "images/chat/Case.png",
        },
    )
    KnowledgeEntry.objects.bulk_create(
        KnowledgeEntry(agent=agent, terms=terms, answer=answer) for terms, answer in KNOWLEDGE
    )
    SampleQuestion.objects.bulk_create(
        SampleQuestion(agent=agent, text=text) for text in SAMPLE_QUESTIONS
    )


def remove_case(apps, schema_editor):
    apps.get_model("bots", "Agent").objects.filter(slug="case").delete()


class Migration(migrations.Migration):
    dependencies = [("bots", "0001_initial")]
    operations = [migrations.RunPython(install_case, remove_case)]
