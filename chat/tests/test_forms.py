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


# --- length limits, each said in words that name the field ------------------------------------

LONGEST_EMAIL = "a" * 64 + "@" + ".".join(["b" * 63, "c" * 63, "d" * 57]) + ".org"


def test_the_longest_allowed_email_address_is_accepted():
    assert len(LONGEST_EMAIL) == 254
    assert form({**VALID, "email": LONGEST_EMAIL}).is_valid()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "x" * 101, "Names are limited to 100 characters; this one has 101."),
        (
            "email",
            "a" + LONGEST_EMAIL,
            "Email addresses are limited to 254 characters; this one has 255.",
        ),
        ("text", "x" * 2001, "Messages are limited to 2000 characters; this one has 2001."),
    ],
)
def test_a_too_long_field_is_refused_naming_the_field_its_limit_and_its_length(
    field, value, message
):
    f = form({**VALID, field: value})
    assert not f.is_valid()
    assert list(f.errors) == [field]
    assert f.errors.get_json_data()[field] == [{"message": message, "code": "max_length"}]


def test_the_text_limit_counts_characters_not_bytes():
    assert form({**VALID, "text": "🐹" * 2000}).is_valid()
    f = form({**VALID, "text": "🐹" * 2001})
    assert f.errors.get_json_data()["text"][0]["code"] == "max_length"


def test_the_widgets_carry_the_limits_for_the_browser():
    f = form(None, max_length=30)
    assert f.fields["name"].widget.attrs["maxlength"] == "100"
    assert f.fields["email"].widget.attrs["maxlength"] == "254"
    assert f.fields["text"].widget.attrs["maxlength"] == "30"
