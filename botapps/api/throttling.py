from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from ..models import BotApp

if TYPE_CHECKING:
    # Not at run time: DRF imports this module while rest_framework.views is half loaded.
    from rest_framework.request import Request
    from rest_framework.views import APIView


class BotAppRateThrottle(SimpleRateThrottle):
    """Requests per bot app (not per address: one app may run on many machines, and many
    apps behind one proxy), counted in the cache, which is Redis when there is one, so
    every server process counts together. The rate is DEFAULT_THROTTLE_RATES["bot_app"]."""

    scope = "bot_app"

    def get_rate(self) -> str | None:
        # Read now, not at import (SimpleRateThrottle.THROTTLE_RATES is bound at import),
        # so a changed setting takes effect.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        app = request.auth
        if not isinstance(app, BotApp):
            return None
        return self.cache_format % {"scope": self.scope, "ident": app.pk}
