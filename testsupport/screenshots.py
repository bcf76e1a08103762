"""The chat box's pictures in docs/screenshots/: desktop and phone, light and dark.

    make screenshots

A real server on a fresh database and Debian's Chromium: a visitor opens the chat on a
product page and asks Case a question; each picture is taken once the answer is shown.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import expect

from testsupport.harness import PROJECT_ROOT, ServerProcess, launch_chromium

OUT = PROJECT_ROOT / "docs" / "screenshots"
QUESTION = "What is isomorphic go?"
ANSWER_START = "Isomorphic Go is the methodology"
SHAPES = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {"viewport": {"width": 375, "height": 667}, "is_mobile": True, "has_touch": True},
}
SCHEMES = ("light", "dark")


def take(browser, base_url: str, shape: str, scheme: str) -> Path:
    context = browser.new_context(
        base_url=base_url, color_scheme=scheme, device_scale_factor=1, **SHAPES[shape]
    )
    try:
        page = context.new_page()
        page.goto("/")
        page.locator("a.productLink").first.click()
        page.locator("#chatboxLauncher").click()
        messages = page.locator("#chatboxConversationContainer .chatSenderMsg")
        expect(messages.first).to_contain_text("I'm Case")
        field = page.locator("#chatboxInputField")
        field.fill(QUESTION)
        field.press("Enter")
        expect(messages.filter(has_text=re.compile("^" + re.escape(ANSWER_START)))).to_have_count(1)
        page.locator("#chatboxInputField").blur()
        path = OUT / f"chatbox-{shape}-{scheme}.png"
        page.screenshot(path=str(path), animations="disabled", caret="hide")
        return path
    finally:
        context.close()


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="chat-screenshots-") as tmp:
        server = ServerProcess(Path(tmp))
        server.migrate()
        server.start()
        try:
            with launch_chromium() as browser:
                for shape in SHAPES:
                    for scheme in SCHEMES:
                        path = take(browser, server.url, shape, scheme)
                        print(path.relative_to(PROJECT_ROOT))
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
