"""Static files in the production shape: collectstatic, then WhiteNoise answering under daphne.

One real daphne process with DJANGO_DEBUG=0 serves every test here. HTTPS is on, as in
production; the requests carry ``X-Forwarded-Proto: https`` as the TLS proxy would.
"""

import gzip
import http.client
import json
import re
import secrets
from pathlib import Path

import pytest

from testsupport.harness import serve

FROM_PROXY = {"X-Forwarded-Proto": "https"}
# The page references these (the loader, and in its config the chat it loads on opening); the
# manifest storage names them with 12 hex digits of their hash.
REFERENCED = {
    "chat/embed.js": "text/javascript",
    "chat/chat.js": "text/javascript",
    "chat/chat.css": "text/css",
}
# What the chat box's ES module imports.
MODULE_IMPORT = re.compile(r'from "(\./[^"]+)";')
STATIC_URL = re.compile(r'(?:src=|href=|"script_url": |"stylesheet_url": )"/static/([^"]+)"')
HASHED = re.compile(r"^(?P<stem>.+)\.[0-9a-f]{12}(?P<suffix>\.[a-z]+)$")
TEN_YEARS = "max-age=315360000"


@pytest.fixture(scope="module")
def static_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("staticfiles")


@pytest.fixture(scope="module")
def server(request, static_root):
    env = {
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_CSRF_TRUSTED_ORIGINS": "https://127.0.0.1",
        "DJANGO_HTTPS": "1",
        "DJANGO_STATIC_ROOT": str(static_root),
    }
    commands = [("collectstatic", "--noinput")]
    with serve(request, "chat-static-", env=env, commands=commands) as server:
        yield server


def get(server, path: str, headers: dict[str, str] | None = None, *, method="GET", body=None):
    """A request without following redirects or decoding: what daphne really sent."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


@pytest.fixture(scope="module")
def page_static_names(server) -> dict[str, str]:
    """The hashed name of every static file a product page references, by its source name."""
    status, _, body = get(server, "/", FROM_PROXY)
    assert status == 200
    product = re.search(r'href="(/products/[^"/]+/)"', body.decode())
    assert product, "the product list links no product"
    status, _, body = get(server, product.group(1), FROM_PROXY)
    assert status == 200
    names = {}
    for name in STATIC_URL.findall(body.decode()):
        hashed = HASHED.match(name)
        assert hashed, f"/static/{name} is not a hashed name"
        names[hashed["stem"] + hashed["suffix"]] = name
    return names


def test_a_product_page_references_hashed_static_files(page_static_names, static_root):
    assert set(REFERENCED) <= set(page_static_names)
    for name in page_static_names.values():
        assert (static_root / name).is_file()


def test_the_chat_box_module_imports_hashed_modules(server, page_static_names, static_root):
    # A page never runs a new chat.js against an old common.js a browser kept for ever.
    chat_js = static_root / page_static_names["chat/chat.js"]
    imports = MODULE_IMPORT.findall(chat_js.read_text())
    assert {HASHED.match(name[2:])["stem"] for name in imports} == {
        "common",
        "i18n",
        "notify",
        "sheet",
    }, imports
    for name in imports:
        module = (chat_js.parent / name).resolve().relative_to(static_root.resolve())
        status, headers, _ = get(server, f"/static/{module}", FROM_PROXY)
        assert status == 200
        assert headers["content-type"].startswith("text/javascript")
        assert "immutable" in headers["cache-control"]


@pytest.mark.parametrize("source", sorted(REFERENCED))
def test_hashed_files_are_served_gzipped_and_cached_for_ever(
    server, page_static_names, static_root, source
):
    name = page_static_names[source]
    original = (static_root / name).read_bytes()

    status, headers, body = get(
        server, f"/static/{name}", {**FROM_PROXY, "Accept-Encoding": "gzip"}
    )

    assert status == 200
    assert headers["content-type"].startswith(REFERENCED[source])
    # The name changes with the content, so a browser may keep it without ever asking again.
    assert TEN_YEARS in headers["cache-control"]
    assert "immutable" in headers["cache-control"]
    assert headers["content-encoding"] == "gzip"
    assert "accept-encoding" in headers["vary"].lower()
    assert int(headers["content-length"]) == len(body) < len(original)
    assert gzip.decompress(body) == original


def test_without_accept_encoding_the_file_comes_uncompressed(
    server, page_static_names, static_root
):
    name = page_static_names["chat/chat.js"]
    status, headers, body = get(server, f"/static/{name}", FROM_PROXY)
    assert status == 200
    assert "content-encoding" not in headers
    assert body == (static_root / name).read_bytes()


def test_an_unhashed_name_is_served_but_not_cached_for_ever(server):
    # Its content changes under the same name with the next deployment.
    status, headers, _ = get(server, "/static/chat/chat.js", FROM_PROXY)
    assert status == 200
    assert "immutable" not in headers["cache-control"]
    assert TEN_YEARS not in headers["cache-control"]


@pytest.mark.parametrize(
    "path", ["/static/chat/nope.js", "/static/chat/chat.0123456789ab.js", "/static/"]
)
def test_an_unknown_static_file_is_404(server, path):
    status, _, _ = get(server, path, FROM_PROXY)
    assert status == 404


def test_plain_http_is_redirected_to_https(server, page_static_names):
    name = page_static_names["chat/chat.css"]
    status, headers, _ = get(server, f"/static/{name}")
    assert status == 301
    assert headers["location"] == f"https://127.0.0.1:{server.port}/static/{name}"


def test_pages_over_https_carry_hsts_and_are_not_cached_for_ever(server):
    status, headers, _ = get(server, "/", FROM_PROXY)
    assert status == 200
    assert headers["strict-transport-security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["x-content-type-options"] == "nosniff"
    assert "immutable" not in headers.get("cache-control", "")


def test_an_oversized_leave_message_is_answered_in_json_by_daphne_too(server):
    # Not static, but the same production server: the body limit holds under daphne's ASGI.
    body = b"name=Ann&email=ann%40example.org&text=" + b"x" * 100_000
    headers = {**FROM_PROXY, "Content-Type": "application/x-www-form-urlencoded"}
    status, headers, answer = get(server, "/chat/leave-message", headers, method="POST", body=body)
    assert status == 413
    assert headers["content-type"] == "application/json"
    assert b"Requests here are limited to 40384 bytes; this one has 100038." in answer


def test_another_site_s_page_may_load_the_chat_box_s_module(server, page_static_names):
    # The embed script loads chat.js as an ES module, which a browser fetches with CORS: every
    # static file is public, and WhiteNoise says so to any origin.
    for source in ("chat/chat.js", "chat/chat.css"):
        status, headers, _ = get(
            server,
            f"/static/{page_static_names[source]}",
            {**FROM_PROXY, "Origin": "https://shop.example.org"},
        )
        assert status == 200
        assert headers["access-control-allow-origin"] == "*"


def test_behind_the_tls_proxy_the_chat_box_s_fragment_names_the_https_origin(server):
    status, headers, body = get(server, "/chat/widget/", FROM_PROXY)
    assert status == 200
    config = re.search(
        r'<script id="chat-config" type="application/json">(.*?)</script>', body.decode()
    )
    assert json.loads(config.group(1))["base_url"] == f"https://127.0.0.1:{server.port}"
    assert "set-cookie" not in headers
