"""``{% load chat %}{% chat_widget %}``: the chat box on any page of a project that installs the
chat app."""

import json
import re

import pytest
from django.template import Context, RequestContext, Template
from django.test import RequestFactory

from chat import frontend

pytestmark = pytest.mark.django_db

WIDGET = Template("{% load chat %}<main>page</main>{% chat_widget %}")


def render(**context) -> str:
    request = RequestFactory().get("/somewhere/")
    return WIDGET.render(RequestContext(request, context))


def test_the_widget_brings_the_box_its_style_sheet_and_its_script():
    html = render()
    assert 'id="chatboxContainer"' in html
    assert 'id="chatboxLauncher"' in html and 'id="chatbox"' in html
    assert '<link rel="stylesheet" href="/static/chat/chat.css">' in html
    # The loader; it brings chat.js (named in the config) when the visitor opens the box.
    assert '<script src="/static/chat/embed.js" async></script>' in html
    assert '"script_url": "/static/chat/chat.js"' in html
    assert html.index("<main>") < html.index('id="chatboxContainer"')


def test_the_widget_s_config_is_the_site_s_own_chat_box_config():
    found = re.search(r'<script id="chat-config" type="application/json">(.*?)</script>', render())
    assert json.loads(found.group(1)) == frontend.chat_box_config()


def test_the_leave_a_message_form_carries_the_page_s_csrf_token():
    html = render()
    assert re.search(r'name="csrfmiddlewaretoken" value="[^"]{32,}"', html)


def test_the_widget_renders_without_a_request_too():
    # A page rendered outside a request (an e-mail preview, a static export) still gets a box.
    html = WIDGET.render(Context({}))
    assert 'id="chatboxContainer"' in html and "chat/embed.js" in html


def test_the_site_s_pages_use_the_widget_once():
    from django.test import Client

    html = Client().get("/").content.decode()
    assert html.count('href="/static/chat/chat.css"') == 1
    assert html.count('src="/static/chat/embed.js"') == 1
    assert html.count('id="chatboxContainer"') == 1
