import pytest
from django.core.exceptions import ValidationError

from chat.origins import normalize_origin, origins_from_lines, request_origin


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("https://shop.example.org", "https://shop.example.org"),
        ("  HTTPS://Shop.Example.ORG  ", "https://shop.example.org"),
        ("https://shop.example.org/", "https://shop.example.org"),
        ("https://shop.example.org:443", "https://shop.example.org"),
        ("http://shop.example.org:80", "http://shop.example.org"),
        ("https://shop.example.org:8443", "https://shop.example.org:8443"),
        ("http://shop.example.org:443", "http://shop.example.org:443"),
        ("http://localhost:8000", "http://localhost:8000"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("http://[::1]:8000", "http://[::1]:8000"),
        # Browsers send an international name in its ASCII form.
        ("https://bücher.example", "https://xn--bcher-kva.example"),
    ],
)
def test_an_origin_is_stored_as_browsers_send_it(typed, stored):
    assert normalize_origin(typed) == stored


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("shop.example.org", "starts with https://"),
        ("ftp://shop.example.org", "starts with https://"),
        ("javascript:alert(1)", "starts with https://"),
        ("https://", "give the host"),
        ("https://shop.example.org/chat", "without a path, query or fragment"),
        ("https://shop.example.org?x=1", "without a path, query or fragment"),
        ("https://shop.example.org/#top", "without a path, query or fragment"),
        ("https://user:pw@shop.example.org", "no user name or password"),
        ("https://shop.example.org:99999", "check the host and the port"),
        ("https://shop.example.org:http", "check the host and the port"),
        ("https://*.example.org", "wildcards are not allowed"),
        ("*", "wildcards are not allowed"),
        ("https://shop..example.org", "not a valid domain"),
        ("https://shop_example org", "not a valid domain"),
    ],
)
def test_what_is_no_origin_is_refused_in_words(typed, said):
    with pytest.raises(ValueError, match=said.replace("?", r"\?")):
        normalize_origin(typed)


def test_the_list_drops_blank_lines_and_repeats():
    text = "https://shop.example.org\n\n  HTTPS://SHOP.example.org:443/ \nhttp://localhost:8000\n"
    assert origins_from_lines(text) == ["https://shop.example.org", "http://localhost:8000"]


def test_an_empty_list_allows_nobody():
    assert origins_from_lines("") == []
    assert origins_from_lines(" \n\n") == []


def test_every_bad_line_is_named_with_its_number_and_why():
    text = "https://shop.example.org\nftp://files.example.org\n\nhttps://shop.example.org/cart"
    with pytest.raises(ValidationError) as raised:
        origins_from_lines(text)
    assert raised.value.messages == [
        "Line 2, “ftp://files.example.org”: an origin starts with https:// (or http://), "
        "e.g. https://shop.example.org.",
        "Line 4, “https://shop.example.org/cart”: give only the scheme, the host and the "
        "port, without a path, query or fragment (https://shop.example.org, not "
        "https://shop.example.org/page).",
    ]
    assert {error.code for error in raised.value.error_list} == {"invalid_origin"}


@pytest.mark.parametrize(
    ("header", "origin"),
    [
        ("https://shop.example.org", "https://shop.example.org"),
        ("https://shop.example.org:443", "https://shop.example.org"),
        (None, None),
        ("", None),
        ("null", None),
        ("https://shop.example.org/page", None),
    ],
)
def test_a_request_s_origin_header_is_read_the_same_way(header, origin):
    assert request_origin(header) == origin
