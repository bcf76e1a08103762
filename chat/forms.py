from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from . import conf, hours
from .models import LeftMessage


class LeftMessageForm(forms.ModelForm):
    """ "Leave a message", for when nobody is there to chat.

    The text's limit is the chat's own (CHAT_MAX_MESSAGE_LENGTH unless the caller
    says otherwise): what may not be sent in the chat may not be left either.
    """

    class Meta:
        model = LeftMessage
        fields = ["name", "email", "text"]
        labels = {"text": _("Message")}
        widgets = {"text": forms.Textarea(attrs={"rows": 4})}
        # The chat box shows these under the field itself: they name the field, which
        # Django's "Ensure this value has at most…" does not.
        error_messages = {
            "name": {
                "max_length": ngettext_lazy(
                    "Names are limited to %(limit_value)d character; this one has %(show_value)d.",
                    "Names are limited to %(limit_value)d characters; this one has %(show_value)d.",
                    "limit_value",
                )
            },
            "email": {
                "max_length": ngettext_lazy(
                    "Email addresses are limited to %(limit_value)d character; "
                    "this one has %(show_value)d.",
                    "Email addresses are limited to %(limit_value)d characters; "
                    "this one has %(show_value)d.",
                    "limit_value",
                )
            },
            "text": {
                # The chat socket's own words for text_too_long (chat.protocol).
                "max_length": ngettext_lazy(
                    "Messages are limited to %(limit_value)d character; "
                    "this one has %(show_value)d.",
                    "Messages are limited to %(limit_value)d characters; "
                    "this one has %(show_value)d.",
                    "limit_value",
                )
            },
        }

    def __init__(self, *args, max_length: int | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if max_length is None:
            max_length = conf.get("CHAT_MAX_MESSAGE_LENGTH")
        text = self.fields["text"]
        text.strip = True
        text.max_length = max_length
        # CharField adds its length validator only when built; this one is built already.
        text.validators.append(MaxLengthValidator(max_length))
        text.widget.attrs["maxlength"] = str(max_length)


class TranscriptForm(forms.Form):
    """Where to email the visitor's transcript."""

    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        error_messages={
            "required": _("Enter the email address to send the transcript to."),
            "max_length": _(
                "Email addresses are limited to %(limit_value)d characters; "
                "this one has %(show_value)d."
            ),
        },
    )


class OpeningIntervalFormSet(BaseInlineFormSet):
    """The opening hours of the chat's settings in admin: each interval ends after it starts
    (the model says so), and no two of one weekday overlap (said here, where all are known)."""

    def clean(self) -> None:
        super().clean()
        kept = [
            form.instance.interval()
            for form in self.forms
            if form.is_valid()
            and form.cleaned_data
            and not (self.can_delete and self._should_delete_form(form))
        ]
        clashes = hours.overlapping(kept)
        if clashes:
            raise ValidationError(
                [
                    f"{first} overlaps {second.opens:%H:%M}\u2013"
                    f"{hours.clock(second.closes, closing=True)}: intervals of a day may touch "
                    "(one closing as the next opens) but not overlap."
                    for first, second in clashes
                ]
            )
