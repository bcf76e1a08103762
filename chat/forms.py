from django import forms

from .models import LeftMessage


class LeftMessageForm(forms.ModelForm):
    """ "Leave a message", for when nobody is there to chat."""

    class Meta:
        model = LeftMessage
        fields = ["name", "email", "text"]
        labels = {"text": "Message"}
        widgets = {"text": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, max_length: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["text"].max_length = max_length
        self.fields["text"].validators.append(
            forms.fields.validators.MaxLengthValidator(max_length)
        )
        self.fields["text"].strip = True
