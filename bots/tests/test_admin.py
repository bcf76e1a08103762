import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from bots import loading
from bots.base import ReplyKind
from bots.models import BotProfile, KnowledgeEntry, OutOfScopeQuestion, UnansweredQuestion
from bots.services import unanswered_question_record

pytestmark = pytest.mark.django_db

NONSENSE = "Can gophers juggle flaming pineapples?"
CHANGELIST = reverse("admin:bots_unansweredquestion_changelist")
TRY = reverse("admin:bots_knowledgeentry_try")
CHANGELIST_ENTRIES = reverse("admin:bots_knowledgeentry_changelist")


@pytest.fixture
def staff(client):
    user = User.objects.create_superuser("staff", "staff@example.com", "pw")
    client.force_login(user)
    return client


def record(text: str, times: int = 1, page: str = "/") -> UnansweredQuestion:
    for _ in range(times):
        unanswered_question_record(bot_slug="case", text=text, page=page)
    return UnansweredQuestion.objects.get(key=UnansweredQuestion.key_for(text))


def change_url(question: UnansweredQuestion) -> str:
    return reverse("admin:bots_unansweredquestion_change", args=[question.pk])


def only_message(response) -> str:
    [message] = list(get_messages(response.wsgi_request))
    return str(message)


# --------------------------------------------------------------------------- the list


def test_the_list_shows_the_most_asked_first(staff):
    record("Do you ship to Canada?", 1, "/products/1/")
    record("Is the mug microwave safe?", 5, "/products/2/")
    record("What is your refund policy?", 3)
    # Equal counts: the most recently asked first.
    old = record("Can I pay with PayPal?", 3)
    UnansweredQuestion.objects.filter(pk=old.pk).update(
        last_asked=timezone.now() - timedelta(days=1)
    )
    response = staff.get(CHANGELIST)
    assert response.status_code == 200
    shown = [question.text for question in response.context["cl"].result_list]
    assert shown == [
        "Is the mug microwave safe?",
        "What is your refund policy?",
        "Can I pay with PayPal?",
        "Do you ship to Canada?",
    ]
    html = response.content.decode()
    assert html.index("Is the mug microwave safe?") < html.index("Do you ship to Canada?")
    assert "/products/2/" in html
    assert [f for f in response.context["cl"].list_display if f != "action_checkbox"] == [
        "count",
        "text",
        "last_asked",
        "last_page",
    ]


def test_the_list_can_be_searched(staff):
    record("Can gophers swim?")
    record("What is a cog?")
    response = staff.get(CHANGELIST, {"q": "gophers"})
    assert [q.text for q in response.context["cl"].result_list] == ["Can gophers swim?"]


def test_questions_cannot_be_added_by_hand(staff):
    assert staff.get(reverse("admin:bots_unansweredquestion_add")).status_code == 403


# --------------------------------------------------------------------------- answering


def test_the_change_page_offers_the_form_prefilled(staff):
    question = record(NONSENSE)
    response = staff.get(change_url(question))
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form["terms"].value() == "can gophers juggle flaming pineapples"
    assert list(form.fields["entry"].queryset) == list(KnowledgeEntry.objects.order_by("id"))
    html = response.content.decode()
    assert 'value="Answer it"' in html
    assert NONSENSE in html


def test_answering_with_a_new_entry(staff):
    question = record(NONSENSE, 2)
    response = staff.post(
        change_url(question),
        {"action": "new", "terms": "gophers juggle pineapples", "answer": "Only on Sundays."},
    )
    assert response.status_code == 302
    assert response["Location"] == CHANGELIST
    entry = KnowledgeEntry.objects.get(terms="gophers juggle pineapples")
    assert entry.answer == "Only on Sundays."
    assert entry.profile.slug == "case"
    assert not UnansweredQuestion.objects.exists()
    message = only_message(response)
    assert NONSENSE in message
    assert f'href="{reverse("admin:bots_knowledgeentry_change", args=[entry.pk])}"' in message
    reply = loading.get_bot().respond(NONSENSE)
    assert (reply.kind, reply.text) == (ReplyKind.ANSWER, "Only on Sundays.")


def test_answering_by_extending_an_entry(staff):
    question = record(NONSENSE)
    entry = KnowledgeEntry.objects.get(terms__startswith="cogs")
    response = staff.post(change_url(question), {"action": "extend", "entry": entry.pk})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.terms.endswith("react can gophers juggle flaming pineapples")
    assert not UnansweredQuestion.objects.exists()
    assert f'href="{reverse("admin:bots_knowledgeentry_change", args=[entry.pk])}"' in (
        only_message(response)
    )
    reply = loading.get_bot().respond(NONSENSE)
    assert (reply.kind, reply.entry_key) == (ReplyKind.ANSWER, str(entry.pk))
    assert reply.text == entry.answer


def test_answering_by_keeping_the_question_as_an_example(staff, semantics):
    question = record("my browser keeps forgetting which page I was on")
    entry = KnowledgeEntry.objects.get(terms__startswith="perform routing")
    response = staff.post(change_url(question), {"action": "example", "entry": entry.pk})
    assert response.status_code == 302
    assert entry.examples.filter(text=question.text).exists()
    assert not UnansweredQuestion.objects.exists()
    reply = loading.get_bot().respond("my browser keeps forgetting which page I was on")
    assert (reply.kind, reply.entry_key) == (ReplyKind.ANSWER, str(entry.pk))


def test_settling_a_question_as_out_of_scope(staff):
    question = record("do you do gift wrapping for birthdays")
    response = staff.post(change_url(question), {"action": "out-of-scope"})
    assert response.status_code == 302
    assert response["Location"] == CHANGELIST
    assert not UnansweredQuestion.objects.exists()
    assert OutOfScopeQuestion.objects.filter(text=question.text).exists()
    assert "is out of scope now" in only_message(response)
    listed = staff.get(reverse("admin:bots_outofscopequestion_changelist"), {"q": "wrapping"})
    assert [q.text for q in listed.context["cl"].result_list] == [question.text]


def test_an_entry_s_example_questions_are_edited_on_its_page(staff):
    entry = KnowledgeEntry.objects.get(terms__startswith="perform routing")
    page = staff.get(reverse("admin:bots_knowledgeentry_change", args=[entry.pk]))
    assert "How do I set up client-side routes?" in page.content.decode()
    found = staff.get(CHANGELIST_ENTRIES, {"q": "client-side routes"})
    assert [e.pk for e in found.context["cl"].result_list] == [entry.pk]


ENTRY = "__first_entry__"


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"terms": "x", "answer": "y"}, {"action": ["This field is required."]}),
        ({"action": "new", "terms": "gophers"}, {"answer": ["Give the answer of the new entry."]}),
        (
            {"action": "new", "terms": " ", "answer": "y"},
            {"terms": ["Give the terms of the new entry."]},
        ),
        (
            {"action": "new", "terms": "x", "answer": "y", "entry": ENTRY},
            {
                "entry": [
                    "You chose to create a new entry: leave this empty, or choose to add "
                    "the words to an existing entry instead."
                ]
            },
        ),
        (
            {"action": "extend", "terms": "x"},
            {"entry": ["Choose the entry to add the question's words to."]},
        ),
        (
            {"action": "extend", "entry": ENTRY, "answer": "y"},
            {
                "answer": [
                    "You chose to extend an existing entry, whose answer stays as it is: "
                    "clear this answer, or choose to create a new entry instead."
                ]
            },
        ),
        (
            {"action": "extend", "entry": "999999"},
            {"entry": ["Select a valid choice. That choice is not one of the available choices."]},
        ),
        (
            {"action": "example"},
            {"entry": ["Choose the entry to keep the question as an example of."]},
        ),
        (
            {"action": "example", "entry": ENTRY, "answer": "y"},
            {
                "answer": [
                    "You chose an existing entry, whose answer stays as it is: clear this "
                    "answer, or choose to create a new entry instead."
                ]
            },
        ),
        (
            {"action": "out-of-scope", "answer": "y"},
            {
                "answer": [
                    "You chose to give no answer: leave this empty, or choose a way to answer "
                    "the question instead."
                ]
            },
        ),
        (
            {"action": "out-of-scope", "entry": ENTRY},
            {
                "entry": [
                    "You chose to give no answer: leave this empty, or choose a way to answer "
                    "the question instead."
                ]
            },
        ),
        (
            {"action": "both", "answer": "y"},
            {"action": ["Select a valid choice. both is not one of the available choices."]},
        ),
    ],
)
def test_a_wrong_form_is_shown_again_with_its_errors(staff, data, errors):
    question = record(NONSENSE)
    entries = list(KnowledgeEntry.objects.values_list("terms", "answer"))
    first = KnowledgeEntry.objects.order_by("id").first()
    data = {name: first.pk if value == ENTRY else value for name, value in data.items()}
    response = staff.post(change_url(question), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == errors
    html = response.content.decode()
    assert "Please correct the error below." in html
    for message in errors.values():
        assert escape(message[0]) in html
    # Nothing happened.
    assert UnansweredQuestion.objects.get().count == 1
    assert list(KnowledgeEntry.objects.values_list("terms", "answer")) == entries


def test_an_entry_of_another_bot_cannot_be_chosen(staff):
    other = BotProfile.objects.create(slug="molly", name="Molly", thumbnail_path="x.png")
    foreign = KnowledgeEntry.objects.create(profile=other, terms="x", answer="y")
    question = record(NONSENSE)
    response = staff.post(change_url(question), {"action": "extend", "entry": foreign.pk})
    assert response.status_code == 200
    assert "entry" in response.context["adminform"].form.errors
    assert UnansweredQuestion.objects.exists()


def test_staff_who_may_not_write_knowledge_see_the_question_read_only(client):
    user = User.objects.create_user("viewer", password="pw", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_unansweredquestion", "change_unansweredquestion"]
        )
    )
    client.force_login(user)
    question = record(NONSENSE)
    response = client.get(change_url(question))
    assert response.status_code == 200
    assert "Answer it" not in response.content.decode()
    response = client.post(change_url(question), {"action": "new", "terms": "x", "answer": "y"})
    assert response.status_code == 403
    assert UnansweredQuestion.objects.exists()


# --------------------------------------------------------------------------- trying questions


def test_the_changelist_links_to_the_try_page(staff):
    response = staff.get(reverse("admin:bots_knowledgeentry_changelist"))
    assert f'href="{TRY}"' in response.content.decode()


def test_the_try_page_needs_a_staff_login(client):
    response = client.get(TRY)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    User.objects.create_user("visitor", password="pw")
    client.login(username="visitor", password="pw")
    response = client.get(TRY)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_the_try_page_needs_permission_to_view_knowledge(client):
    user = User.objects.create_user("staff", password="pw", is_staff=True)
    client.force_login(user)
    assert client.get(TRY).status_code == 403
    user.user_permissions.add(Permission.objects.get(codename="view_knowledgeentry"))
    assert client.get(TRY).status_code == 200


def test_the_try_page_shows_the_empty_form(staff):
    response = staff.get(TRY)
    assert response.status_code == 200
    assert response.context["explanation"] is None
    html = response.content.decode()
    assert 'name="question"' in html
    assert "Try a question" in html
    assert "errorlist" not in html


def test_the_try_page_explains_an_answer(staff):
    response = staff.get(TRY, {"question": "What is isomorphic go?"})
    assert response.status_code == 200
    explanation = response.context["explanation"]
    entry = KnowledgeEntry.objects.get(terms__startswith="isomorphic go")
    assert explanation.reply.kind == ReplyKind.ANSWER
    assert explanation.answering.entry == entry
    assert explanation.runners_up
    html = response.content.decode()
    answering = re.search(r'id="try-answering">(.*?)</td>', html, re.S).group(1)
    assert f'href="{reverse("admin:bots_knowledgeentry_change", args=[entry.pk])}"' in answering
    assert f"{explanation.answering.score:.3f}" in answering
    assert '<td id="try-kind">answer</td>' in html
    assert '<td id="try-decision">Answered on words' in html
    assert "Isomorphic Go is the methodology" in html
    assert f"{explanation.threshold:.3f}" in html
    assert html.count('class="try-runner-up"') == len(explanation.runners_up)
    for candidate in explanation.runners_up:
        assert escape(candidate.entry.terms) in html


def test_the_try_page_shows_both_scores_and_the_decision(staff, semantics):
    response = staff.get(TRY, {"question": "I hate restarting my server by hand after changes"})
    explanation = response.context["explanation"]
    html = response.content.decode()
    assert '<td id="try-decision">Answered on meaning' in html
    answering = re.search(r'id="try-answering">(.*?)</td>', html, re.S).group(1)
    assert f"{explanation.answering.score:.3f}" in answering  # on words
    assert f"{explanation.answering.semantic:.3f}" in answering  # on meaning
    runner_up = explanation.runners_up[0]
    row = re.search(r'class="try-runner-up">(.*?)</tr>', html, re.S).group(1)
    assert f"{runner_up.score:.3f}" in row and f"{runner_up.semantic:.3f}" in row
    assert 'id="try-semantic-threshold"' in html


def test_the_try_page_shows_the_fallback_for_nonsense(staff):
    response = staff.get(TRY, {"question": "zxqv blorp flimflam"})
    html = response.content.decode()
    assert '<td id="try-kind">fallback</td>' in html
    assert "I don&#x27;t know the answer to that one." in html
    assert re.search(r'id="try-answering">\s*none\s*</td>', html)


def test_the_try_page_records_nothing(staff):
    staff.get(TRY, {"question": "zxqv blorp flimflam"})
    assert not UnansweredQuestion.objects.exists()


def test_the_try_page_can_ask_on_a_products_page(staff):
    response = staff.get(
        TRY,
        {
            "question": "How much is it?",
            "product_name": "Gopher plush",
            "product_price": "12.5",
            "product_stock": "3",
        },
    )
    explanation = response.context["explanation"]
    assert explanation.reply.kind == ReplyKind.PRODUCT
    assert "12.50" in explanation.reply.text


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"question": ""}, "question"),
        ({"question": "x" * 2001}, "question"),
        ({"question": "price?", "product_price": "-1", "product_name": "x"}, "product_price"),
        ({"question": "price?", "product_stock": "2"}, "product_name"),
    ],
)
def test_the_try_page_shows_form_errors(staff, query, field):
    response = staff.get(TRY, query)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert response.context["explanation"] is None
