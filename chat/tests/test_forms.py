import pytest

from chat.forms import LeftMessageForm

pytestmark = pytest.mark.django_db

VALID = {"name": "Ann Gopher", "email": "ann@example.org", "text": "Do you ship to Norway?"}


def form(data, **kwargs):
    return LeftMessageForm(data, **kwargs)


def test_valid_data_is_cleaned_and_stripped():
    f = form({"name": "  Ann Gopher ", "email": " ann@example.org ", "text": "\n  Hello?  \n"})
    assert f.is_valid(), f.errors
    assert f.cleaned_data == {"name": "Ann Gopher", "email": "ann@example.org", "text": "Hello?"}


def test_valid_data_saves_a_left_message():
    f = form(VALID)
    assert f.is_valid()
    message = f.save()
    assert (message.name, message.email, message.text) == (
        VALID["name"],
        VALID["email"],
        VALID["text"],
    )


@pytest.mark.parametrize("field", ["name", "email", "text"])
def test_each_field_is_required(field):
    f = form({**VALID, field: ""})
    assert not f.is_valid()
    assert list(f.errors) == [field]
    assert f.errors.get_json_data()[field][0]["code"] == "required"


@pytest.mark.parametrize("field", ["name", "text"])
def test_whitespace_only_counts_as_missing(field):
    f = form({**VALID, field: "   \n\t "})
    assert not f.is_valid()
    assert f.errors.get_json_data()[field][0]["code"] == "required"


def test_missing_fields_all_reported_at_once():
    f = form({})
    assert not f.is_valid()
    assert set(f.errors) == {"name", "email", "text"}


@pytest.mark.parametrize(
    "email", ["nope", "a@", "@example.org", "ann@@example.org", "ann example@x.org"]
)
def test_bad_email_is_refused(email):
    f = form({**VALID, "email": email})
    assert not f.is_valid()
    assert list(f.errors) == ["email"]
    assert f.errors.get_json_data()["email"][0]["code"] == "invalid"


def test_name_is_at_most_100_characters():
    assert form({**VALID, "name": "x" * 100}).is_valid()
    f = form({**VALID, "name": "x" * 101})
    assert not f.is_valid()
    assert f.errors.get_json_data()["name"][0]["code"] == "max_length"


def test_text_is_at_most_max_length_characters():
    assert form({**VALID, "text": "x" * 10}, max_length=10).is_valid()
    f = form({**VALID, "text": "x" * 11}, max_length=10)
    assert not f.is_valid()
    assert list(f.errors) == ["text"]
    error = f.errors.get_json_data()["text"][0]
    assert error["code"] == "max_length"
    assert "10" in error["message"]


def test_text_length_is_counted_after_stripping():
    assert form({**VALID, "text": "  " + "x" * 10 + "  "}, max_length=10).is_valid()


def test_text_limit_defaults_to_the_chat_message_limit(settings):
    settings.CHAT_MAX_MESSAGE_LENGTH = 20
    assert form({**VALID, "text": "x" * 20}).is_valid()
    f = form({**VALID, "text": "x" * 21})
    assert not f.is_valid()
    assert f.fields["text"].widget.attrs["maxlength"] == "20"


def test_default_limit_is_2000_characters():
    assert form({**VALID, "text": "x" * 2000}).is_valid()
    assert not form({**VALID, "text": "x" * 2001}).is_valid()
