"""The pages carry the server's limits, URLs and intervals for their scripts
(chat/frontend.py, chat/templatetags/chat_pages.py)."""

import json
import re

import pytest
from django.test import Client

from chat import frontend, protocol
from chat.models import ChatSettings

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


def test_the_chat_box_config_carries_its_look_from_the_chat_settings():
    assert frontend.chat_box_config()["theme"] == {
        "primary_color": "#1f7a8c",
        "launcher_side": "right",
        "welcome_text": "Hi! Questions about our products? Ask us here.",
    }
    ChatSettings.objects.create(primary_color="#0b3d91", launcher_side="left", welcome_text="")
    assert frontend.chat_box_config()["theme"] == {
        "primary_color": "#0b3d91",
        "launcher_side": "left",
        "welcome_text": "",
    }


def test_on_the_site_s_own_pages_the_box_s_urls_are_its_page_s():
    config = frontend.chat_box_config()
    assert config["base_url"] == ""
    assert page_config(Client().get("/").content.decode())["base_url"] == ""


def test_on_another_site_every_url_of_the_box_resolves_against_base_url():
    from urllib.parse import urljoin

    config = frontend.chat_box_config(base_url="https://chat.example.com")
    assert config["base_url"] == "https://chat.example.com"
    paths = {key: value for key, value in config.items() if key.endswith(("_url", "_path"))}
    assert set(paths) >= {"socket_path", "agent_info_url", "status_url", "leave_message_url"}
    for key, path in paths.items():
        if key == "base_url":
            continue
        # Paths from the server's root, so they take the chat server's origin whatever page
        # the box is on.
        assert path.startswith("/"), key
        assert urljoin(config["base_url"], path) == f"https://chat.example.com{path}"


def test_the_welcome_text_is_page_data_never_markup():
    ChatSettings.objects.create(welcome_text="</script><script>alert(1)</script>")
    html = Client().get("/").content.decode()
    assert "<script>alert(1)" not in html
    assert page_config(html)["theme"]["welcome_text"] == "</script><script>alert(1)</script>"


def test_the_chat_box_config_carries_the_away_text_in_the_page_s_language(client):
    assert frontend.chat_box_config()["away_text"].startswith("We are away right now.")
    german = page_config(client.get("/", HTTP_ACCEPT_LANGUAGE="de").content.decode())
    assert german["away_text"].startswith("Wir sind gerade nicht da.")
    ChatSettings.objects.create(away_text="Back at nine.")
    spanish = page_config(client.get("/", HTTP_ACCEPT_LANGUAGE="es").content.decode())
    assert spanish["away_text"] == "Back at nine."
