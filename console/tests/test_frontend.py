"""The console page carries the server's limits and its socket (console/frontend.py)."""

import pytest
from django.urls import reverse

from chat.tests.conftest import make_agent
from chat.tests.test_frontend import page_config
from console import frontend

pytestmark = pytest.mark.django_db


def test_the_console_carries_its_own_config(client, settings):
    settings.CHAT_MAX_MESSAGE_LENGTH = 321
    agent = make_agent("anna")
    client.force_login(agent)
    html = client.get(reverse("console:staff_console")).content.decode()
    config = page_config(html)
    assert config == frontend.console_config()
    assert config["socket_path"] == "/ws/staff/" and config["max_text_length"] == 321
    assert 'id="consoleInput" name="text" maxlength="321"' in html
