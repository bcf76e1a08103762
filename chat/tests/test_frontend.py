"""The pages carry the server's limits, URLs and intervals for their scripts
(chat/frontend.py, chat/templatetags/chat_pages.py)."""

import json
import re

import pytest

from chat import frontend, protocol

pytestmark = pytest.mark.django_db


def page_config(html: str) -> dict:
    found = re.search(r'<script id="chat-config" type="application/json">(.*?)</script>', html)
    assert found, "the page carries no config"
    return json.loads(found.group(1))


def test_the_chat_box_config_is_the_server_s_own():
    config = frontend.chat_box_config()
    assert config["socket_path"] == "/ws/chat/"
    assert config["agent_info_url"] == "/restapi/get-agent-info"
    assert config["status_url"] == "/restapi/chat-status"
    assert config["leave_message_url"] == "/chat/leave-message"
    assert config["max_value_length"] == protocol.MAX_VALUE_LENGTH
    assert (config["max_attachments"], config["max_actions"]) == (
        protocol.MAX_ATTACHMENTS,
        protocol.MAX_ACTIONS,
    )
    assert (config["max_name_length"], config["max_email_length"]) == (100, 254)


def test_a_shop_page_carries_the_config_and_its_fields_follow_the_settings(client, settings):
    settings.CHAT_MAX_MESSAGE_LENGTH = 321
    html = client.get("/").content.decode()
    config = page_config(html)
    assert config == frontend.chat_box_config()
    assert config["max_text_length"] == 321
    # The message field and the leave-a-message form: the same limit, written once.
    assert html.count('maxlength="321"') == 2
    assert 'maxlength="100"' in html and 'maxlength="254"' in html
