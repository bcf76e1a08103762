"""The site's Content-Security-Policy (django-csp): the fixed policy is CONTENT_SECURITY_POLICY in
the settings; what depends on the request is added here.

- ``connect-src``: the site's own sockets, ``ws://`` or ``wss://`` of the host the page came
  from (``'self'`` covers them in current browsers; older Safari needs them named).
- ``frame-ancestors``: on the visitors' pages, the site itself and exactly the sites staff
  allowed to embed the chat (ChatSettings, read from the cache); on the staff pages (admin,
  console, reports), nobody: they are never framed, and a framed staff page is a
  clickjacking target.
- ``style-src``: the admin also gets ``'unsafe-inline'``. Django's own admin templates carry
  a ``<style>`` block (the change list without actions) and our admin pages (bots' "try it",
  bot app credentials) style attributes; scripts stay ``'self'`` there too.

Only HTML responses get the header: the JSON and fragments the chat box fetches are no
documents, and the policy would cost them a cache read each.
"""

from __future__ import annotations

from csp.constants import NONE, UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponseBase

from chat import selectors

#: The URL namespaces of the staff's pages.
STAFF_NAMESPACES = frozenset({"admin", "console", "reports"})


def _namespaces(request: HttpRequest) -> set[str]:
    match = getattr(request, "resolver_match", None)
    return set(match.namespaces) if match is not None else set()


class SiteCSPMiddleware(CSPMiddleware):
    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        return super().process_response(request, response)

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if report_only:
            return parts
        update: dict[str, list[str]] = {}
        try:
            host = request.get_host()
        except DisallowedHost:  # answered 400 already; no socket to name
            pass
        else:
            update["connect-src"] = [f"{'wss' if request.is_secure() else 'ws'}://{host}"]
        replace: dict[str, list[str]] = {}
        namespaces = _namespaces(request)
        if namespaces & STAFF_NAMESPACES:
            replace["frame-ancestors"] = [NONE]
        else:
            update["frame-ancestors"] = list(selectors.chat_box_settings().allowed_origins)
        if "admin" in namespaces:
            update["style-src"] = [UNSAFE_INLINE]
        # A view's own @csp_update / @csp_replace still apply, after these.
        for directive, sources in (parts.update or {}).items():
            if isinstance(sources, str):
                sources = [sources]
            update[directive] = [*update.get(directive, []), *sources]
        parts.update = update
        parts.replace = {**replace, **(parts.replace or {})}
        return parts
