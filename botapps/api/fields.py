"""Strict request fields: JSON types are taken as they are, never coerced.

DRF's own fields accept "true" for a boolean, "5" for an integer and 5 for a string,
as HTML forms need. A bot speaks JSON, and a wrong type is a bug in the bot that it
should hear about at once rather than find later in what was stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.validators import RegexValidator
from rest_framework import serializers

# The patterns are written once, for validation and the OpenAPI document alike
# (drf-spectacular copies a field's RegexValidator into "pattern", \A and \Z as ^ and $):
# what the schema allows is exactly what is accepted. They spell white space out as the
# characters str.strip() removes, because \s means three different sets to Python, to
# ECMA-262 (the schema's dialect) and to Python with re.ASCII (what schema tools use).
WHITE_SPACE = r"\t-\r\x1c- \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# Something besides white space, and no NUL (which PostgreSQL cannot store). The two
# first parts cannot match the same character, so matching stays linear.
HAS_TEXT = rf"\A[{WHITE_SPACE}]*[^{WHITE_SPACE}\x00][^\x00]*\Z"
# A quick-reply value comes back in the visitor's frame, which refuses control
# characters (chat.protocol): a button with one could never be pressed.
NO_CONTROL_CHARACTERS = r"\A[^\x00-\x1f\x7f-\x9f]+\Z"
# http(s), a host name (non-ASCII ones in their xn-- form), an optional port, then
# printable ASCII (percent-encode the rest). No user:password@, the classic disguise
# of a link's real host.
HTTP_URL = (
    r"\A[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?"
    r"(?::[0-9]{1,5})?(?:[/?#][!-~]*)?\Z"
)
IDEMPOTENCY_KEY = r"\A[A-Za-z0-9_.:-]{1,64}\Z"


class StrictBooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": "Must be true or false (a JSON boolean)."}

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class StrictIntegerField(serializers.IntegerField):
    default_error_messages = {"invalid": "Must be a whole number (a JSON number)."}

    def to_internal_value(self, data: Any) -> int:
        # bool is an int to Python, not to JSON. 5.0 is the JSON Schema integer 5.
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, float) and data.is_integer():
            return int(data)
        if not isinstance(data, int):
            self.fail("invalid")
        return data


class StrictCharField(serializers.CharField):
    """A JSON string. Its length limit holds before trimming too, so that the schema's
    maxLength (which knows nothing of trimming) is exact."""

    default_error_messages = {"invalid": "Must be a string."}

    def __init__(
        self, *, pattern: str | None = None, pattern_message: str = "", **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        if pattern is not None:
            self.validators.append(RegexValidator(pattern, message=pattern_message, code="invalid"))

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class StrictChoiceField(serializers.ChoiceField):
    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


class HttpUrlField(StrictCharField):
    """An absolute http(s) URL: what a visitor's browser may open, never javascript:."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "pattern_message",
            "Must be an http(s) URL with a host name, in ASCII (percent-encode the rest).",
        )
        super().__init__(pattern=HTTP_URL, **kwargs)


class StrictSerializer(serializers.Serializer):
    # Refuses keys it does not know, naming them: a misspelt optional field would otherwise
    # be ignored without a word. The schema says additionalProperties: false (botapps.api.schema).
    # (A comment, not a docstring: the OpenAPI document would show it for every body.)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            known = {name for name, field in self.fields.items() if not field.read_only}
            unknown = [key for key in data if key not in known]
            if unknown:
                allowed = ", ".join(sorted(known)) or "none"
                raise serializers.ValidationError(
                    {key: [f"Unknown field (allowed: {allowed})."] for key in unknown[:20]}
                )
        return super().to_internal_value(data)
