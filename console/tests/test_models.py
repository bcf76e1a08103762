"""console/models.py: what makes a canned response valid, checked by the model itself so that
admin and the console refuse the same things in the same words."""

import pytest
from django.core.exceptions import ValidationError

from console.models import CannedResponse

pytestmark = pytest.mark.django_db


def valid(**fields) -> CannedResponse:
    response = CannedResponse(
        **{"shortcut": "thanks", "title": "Thanks", "text": "Thanks, {visitor_name}!"} | fields
    )
    response.full_clean()
    return response


def errors(**fields) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as refused:
        valid(**fields)
    return refused.value.message_dict


def test_a_canned_response_is_kept_trimmed_and_its_shortcut_in_lower_case():
    response = valid(shortcut="Shipping-Times", title=" Shipping ", text=" Two days. \n")
    assert (response.shortcut, response.title, response.text) == (
        "shipping-times",
        "Shipping",
        "Two days.",
    )
    assert str(response) == "/shipping-times"


@pytest.mark.parametrize("shortcut", ["with space", "-lead", "trail_", "a--b", "é", "/x", ""])
def test_a_shortcut_is_words_of_letters_and_digits(shortcut):
    assert "shortcut" in errors(shortcut=shortcut)


def test_a_shortcut_is_taken_once_whatever_its_case():
    valid().save()
    assert errors(shortcut="THANKS") == {
        "shortcut": ["Canned response with this Shortcut already exists."]
    }


def test_an_unknown_placeholder_is_refused_on_the_text():
    assert errors(text="Hi {name}") == {
        "text": [
            "Unknown placeholder {name}: use {visitor_name} or {agent_name} "
            "(write {{ or }} for a brace itself)."
        ]
    }


def test_a_reply_is_no_longer_than_a_message(settings):
    settings.CHAT_MAX_MESSAGE_LENGTH = 10
    valid(text="x" * 10)
    assert errors(text="x" * 11) == {
        "text": ["A reply is a message: at most 10 characters; this has 11."]
    }


def test_every_field_is_needed():
    assert set(errors(shortcut="", title="", text="")) == {"shortcut", "title", "text"}
