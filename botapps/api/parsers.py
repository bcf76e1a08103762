from __future__ import annotations

import json
from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


class JsonParser(JSONParser):
    """JSON bodies, in UTF-8 as RFC 8259 says (DRF would take the request's charset),
    without NaN or Infinity (which are not JSON), answered in the API's words.

    DRF reads the body through ``request.body``, so Django's DATA_UPLOAD_MAX_MEMORY_SIZE
    holds; botapps.api.exceptions answers a larger one 413.
    """

    def parse(
        self, stream: Any, media_type: str | None = None, parser_context: dict | None = None
    ) -> Any:
        raw = stream.read()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ParseError("The body is not UTF-8 text.") from None
        try:
            return json.loads(text, parse_constant=_refuse_constant)
        except ValueError as exc:
            raise ParseError(f"The body is not valid JSON: {exc}.") from None
        except RecursionError:
            raise ParseError("The body is nested too deeply.") from None
