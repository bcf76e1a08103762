"""Naming a visitor in admin: the search form staff fill in, and the lookup the confirmation
page carries (hidden) and the admin actions send."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from .selectors import VisitorLookup

# What one confirmation page may name at most: more than staff could have looked through.
MAX_NAMED = 10_000


class VisitorSearchForm(forms.Form):
    """An email address the visitor left, or the number of a conversation of theirs."""

    email = forms.EmailField(
        label="Email address",
        required=False,
        help_text="As the visitor left it with a message, in any case.",
    )
    conversation = forms.IntegerField(
        label="Conversation number",
        required=False,
        min_value=1,
        help_text="Any conversation of theirs: all the conversations of the same visitor "
        "(their browser session) are found with it.",
    )

    def clean(self) -> dict:
        data = super().clean()
        email, conversation = data.get("email"), data.get("conversation")
        if self.errors:
            return data
        if not email and not conversation:
            raise ValidationError("Give an email address or a conversation number.")
        if email and conversation:
            raise ValidationError("Give an email address or a conversation number, not both.")
        return data

    def lookup(self) -> VisitorLookup:
        email, conversation = self.cleaned_data["email"], self.cleaned_data["conversation"]
        return VisitorLookup(
            conversation_ids=(conversation,) if conversation else (),
            emails=(email,) if email else (),
        )


class NumbersField(forms.Field):
    """Several numbers, as hidden fields of one name (or one query parameter, repeated)."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"invalid": "Conversations are named by number."}

    def to_python(self, value) -> list[int]:
        try:
            return [int(item) for item in value or []]
        except (TypeError, ValueError):
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class EmailsField(forms.Field):
    """Several email addresses, as hidden fields of one name."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[str]:
        return [item.strip() for item in value or [] if item and item.strip()]

    def validate(self, value: list[str]) -> None:
        super().validate(value)
        for email in value:
            validate_email(email)


class VisitorLookupForm(forms.Form):
    """The visitor as the confirmation page names them again, in hidden fields: conversation
    numbers and email addresses."""

    conversations = NumbersField(required=False)
    emails = EmailsField(required=False)

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        if len(data["conversations"]) + len(data["emails"]) > MAX_NAMED:
            raise ValidationError(f"Name at most {MAX_NAMED} conversations or addresses at once.")
        if not data["conversations"] and not data["emails"]:
            raise ValidationError("Name the visitor: a conversation or an email address.")
        return data

    def lookup(self) -> VisitorLookup:
        return VisitorLookup(
            conversation_ids=tuple(sorted(set(self.cleaned_data["conversations"]))),
            emails=tuple(sorted({email.lower() for email in self.cleaned_data["emails"]})),
        )

    @staticmethod
    def initial_for(lookup: VisitorLookup) -> dict[str, list]:
        """The hidden fields' values that name ``lookup`` again."""
        return {"conversations": list(lookup.conversation_ids), "emails": list(lookup.emails)}
