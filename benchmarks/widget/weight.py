"""What the chat box costs a page, in bytes over the wire (gzip, as a production server sends
them), before the visitor opens it and after.

    make bench-widget

A production-shaped server (DJANGO_DEBUG=0, collectstatic, WhiteNoise's compressed files) and
Debian's Chromium with its cache off. Two pages carry the chat:

- a product page of the chat's own site ({% chat_widget %}): the box's markup is in the page;
- a plain page of another origin that embeds the chat with the one-line embed.js.

Every response from the chat's server is counted with its encoded size (Chromium's
``encodedDataLength``: headers and the compressed body), split into what the page pays when
it loads with the chat closed and what opening the chat and getting the greeting adds. The
product page's own HTML and style sheet are left out: they are the shop's, with or without a
chat (the markup's share of the HTML is reported apart, gzip-compressed alone).
"""

from __future__ import annotations

import gzip
import re
import secrets
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import expect

from testsupport.harness import ServerProcess, free_port, launch_chromium, plain_site

#: Chatwoot's widget, measured by its project's users, for scale.
CHATWOOT_KIB = 170
GREETING = "I'm Case"
HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Another shop</title></head>
<body><h1>Another shop</h1>
<script src="{chat}/static/chat/embed.js" async></script>
</body></html>
"""


class Meter:
    """Encoded bytes of every finished response from the chat's origin, by phase."""

    def __init__(self, page, chat_origin: str):
        self.chat_origin = chat_origin
        self.urls: dict[str, str] = {}
        self.phase = "before"
        self.rows: list[tuple[str, str, int]] = []
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        cdp.on("Network.requestWillBeSent", self._request)
        cdp.on("Network.loadingFinished", self._finished)

    def _request(self, event):
        self.urls[event["requestId"]] = event["request"]["url"]

    def _finished(self, event):
        url = self.urls.get(event["requestId"], "")
        if url.startswith(self.chat_origin):
            self.rows.append((self.phase, url[len(self.chat_origin) :], event["encodedDataLength"]))

    def total(self, phase: str, *, skip: re.Pattern | None = None) -> int:
        return sum(n for p, url, n in self.rows if p == phase and not (skip and skip.match(url)))


def measure(browser, *, page_url: str, chat_origin: str, skip: re.Pattern | None) -> Meter:
    context = browser.new_context()
    try:
        page = context.new_page()
        meter = Meter(page, chat_origin)
        page.goto(page_url, wait_until="networkidle")
        expect(page.locator("#chatboxLauncher")).to_be_visible()
        page.wait_for_timeout(300)
        meter.phase = "after"
        page.locator("#chatboxLauncher").click()
        expect(page.locator("#chatboxConversationContainer .chatSenderMsg").first).to_contain_text(
            GREETING
        )
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(300)
        return meter
    finally:
        context.close()


def report(name: str, meter: Meter, skip: re.Pattern | None) -> None:
    before = meter.total("before", skip=skip)
    after = meter.total("after", skip=skip)
    print(f"\n{name}")
    for phase, url, size in meter.rows:
        if skip and skip.match(url):
            continue
        print(f"  {phase:<6} {size:>7,} B  {url[:90]}")
    print(f"  before opening: {before / 1024:6.1f} KiB")
    print(f"  after opening:  {(before + after) / 1024:6.1f} KiB (+{after / 1024:.1f} KiB)")
    print(f"  Chatwoot's widget, for scale: about {CHATWOOT_KIB} KiB")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="chat-weight-") as tmp:
        env = {
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_HTTPS": "0",
            "DJANGO_STATIC_ROOT": str(Path(tmp) / "static"),
        }
        server = ServerProcess(Path(tmp), env=env)
        server.migrate()
        server.manage("collectstatic", "--noinput")
        host_page = {"html": HOST_PAGE.format(chat=server.url).encode()}
        with plain_site(f"http://127.0.0.1:{free_port()}", host_page) as host:
            server.manage(
                "shell",
                "-c",
                "from chat.models import ChatSettings;"
                "s = ChatSettings.objects.first() or ChatSettings();"
                f"s.allowed_origins = {host!r}; s.save()",
            )
            server.start()
            try:
                with launch_chromium() as browser:
                    # The product page itself is the shop's: only the chat's own files count.
                    own_page = re.compile(r"^/((products/[^?]*)?|static/css/.*)$")
                    product = browser.new_page()
                    product.goto(server.url + "/")
                    href = product.locator("a.productLink").first.get_attribute("href")
                    html = product.content()
                    product.close()
                    meter = measure(
                        browser, page_url=server.url + href, chat_origin=server.url, skip=own_page
                    )
                    report(
                        "A product page of the chat's own site ({% chat_widget %})", meter, own_page
                    )
                    markup = re.search(
                        r'<div id="chatboxContainer".*?</template>', html, flags=re.DOTALL
                    )
                    if markup:
                        size = len(gzip.compress(markup.group(0).encode()))
                        print(f"  (the box's markup in that page: {size / 1024:.1f} KiB gzip)")
                    meter = measure(browser, page_url=host + "/", chat_origin=server.url, skip=None)
                    report(f"A page of another origin ({host}) with the embed line", meter, None)
            finally:
                server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
