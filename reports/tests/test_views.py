import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse

from bots.models import BotProfile, UnansweredQuestion

from .conftest import MONDAY, make_staff

pytestmark = pytest.mark.django_db

PAGE, CSV = reverse("reports:report"), reverse("reports:report_csv")
WEEK = {"start": "2025-03-10", "end": "2025-03-16"}


@pytest.fixture
def staff_client(client):
    client.force_login(make_staff("carla", first_name="Carla"))
    return client


def csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("url", [PAGE, CSV])
def test_the_reports_ask_who_you_are_first(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("url", [PAGE, CSV])
def test_staff_without_the_permission_to_chat_are_refused(client, url):
    client.force_login(make_staff("carl", permission=False))
    assert client.get(url).status_code == 403


def test_the_page_shows_the_period_s_figures(staff_client, history):
    response = staff_client.get(PAGE, WEEK)
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    page = response.content.decode()
    assert '<strong id="reportsConversations">7</strong>' in page
    assert 'value="2025-03-10"' in page and 'value="2025-03-16"' in page
    # The summary: c2's and c4's waits for a person, 120 and 60 s.
    assert "1 min 30 s <span" in page and "1 min 54 s <span" in page
    assert "3.5 / 5" in page
    charts = response.context["charts"]
    assert charts["days"]["values"] == [3, 3, 1, 0, 0, 0, 0]
    assert charts["outcomes"]["values"] == [2, 3, 1, 1]
    assert charts["scores"]["values"] == [0, 1, 1, 1, 1]
    assert '<script id="reports-charts" type="application/json">' in page
    assert f"{CSV}?start=2025-03-10&amp;end=2025-03-16" in page


def test_the_page_is_a_staff_page_never_framed(staff_client):
    response = staff_client.get(PAGE)
    assert response.status_code == 200
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_the_console_s_header_links_to_the_reports(staff_client):
    assert f'href="{PAGE}"' in staff_client.get(reverse("console:staff_console")).content.decode()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"start": "2025-02-30"}, "Enter the start as a date: YYYY-MM-DD."),
        ({"start": "2025-03-16", "end": "2025-03-10"}, "The start must be on or before the end."),
    ],
)
def test_a_bad_period_gets_a_clear_error(staff_client, query, message):
    response = staff_client.get(PAGE, query)
    assert response.status_code == 400
    page = response.content.decode()
    assert 'role="alert"' in page and message in page
    # What was typed stays, to be corrected; no figures, no charts.
    assert f'value="{query["start"]}"' in page
    assert "reports-charts" not in page
    response = staff_client.get(CSV, query)
    assert response.status_code == 400
    assert response.content.decode() == message + "\n"


def test_the_csv_has_the_same_figures(staff_client, history):
    response = staff_client.get(CSV, WEEK)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="chat-report-2025-03-10-to-2025-03-16.csv"'
    )
    rows = csv_rows(response)
    assert rows[0] == ["section", "item", "figure", "value"]
    figures = {(section, item, figure): value for section, item, figure, value in rows[1:]}
    assert figures["period", "", "start"] == "2025-03-10"
    assert figures["summary", "", "conversations"] == "7"
    assert figures["summary", "", "answered_by_bots_alone"] == "2"
    assert figures["summary", "", "handed_to_a_person"] == "3"
    assert figures["summary", "", "first_human_reply_median_seconds"] == "90.0"
    assert figures["summary", "", "first_human_reply_p90_seconds"] == "114.0"
    assert figures["summary", "", "rating_average"] == "3.5"
    assert figures["day", "2025-03-11", "asked_never_answered"] == "1"
    assert figures["person", "Anna", "first_human_reply_median_seconds"] == "120.0"
    assert figures["bot", "Helper", "kind"] == "bot app"
    assert figures["rating", "5", "conversations"] == "1"


def test_the_csv_leaves_out_no_figure_nobody_has(staff_client):
    rows = csv_rows(staff_client.get(CSV, WEEK))
    figures = {(section, figure): value for section, _item, figure, value in rows[1:]}
    assert figures["summary", "first_reply_median_seconds"] == ""
    assert figures["summary", "conversations"] == "0"


def test_the_csv_s_cells_cannot_start_a_formula(staff_client, history):
    history.anna.first_name = '=HYPERLINK("http://evil.example")'
    history.anna.save()
    profile, _ = BotProfile.objects.get_or_create(slug="case", defaults={"name": "Case"})
    for text in ("+1 shipping?", "-5% for students?", "@admin help", "Plain question"):
        UnansweredQuestion.objects.create(
            profile=profile,
            text=text,
            key=UnansweredQuestion.key_for(text),
            first_asked=MONDAY,
            last_asked=MONDAY + timedelta(hours=1),
        )
    rows = csv_rows(staff_client.get(CSV, WEEK))
    items = {item for _section, item, _figure, _value in rows}
    assert '\'=HYPERLINK("http://evil.example")' in items
    assert {"'+1 shipping?", "'-5% for students?", "'@admin help", "Plain question"} <= items
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


@pytest.mark.parametrize("url", [PAGE, CSV])
def test_the_reports_are_read_with_get_alone(staff_client, url):
    assert staff_client.post(url, WEEK).status_code == 405
