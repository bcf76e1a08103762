"""Forms of the staff tools in admin."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from .base import PageContext, ProductFacts
from .importexport import MAX_TERMS_LENGTH
from .models import KnowledgeEntry, UnansweredQuestion


class EntryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, entry: KnowledgeEntry) -> str:
        terms = entry.terms if len(entry.terms) <= 100 else entry.terms[:99] + "…"
        return f"#{entry.pk}: {terms}"


class UnansweredQuestionResolveForm(forms.ModelForm):
    """Answer an unanswered question in one step: a new entry, or more terms for an existing one.

    The question's own fields are read-only in admin; these extra fields are the whole form.
    """

    NEW = "new"
    EXAMPLE = "example"
    EXTEND = "extend"
    OUT_OF_SCOPE = "out-of-scope"

    action = forms.ChoiceField(
        label="Answer it by",
        choices=[
            (NEW, "a new entry (terms and answer; the question becomes its first example)"),
            (EXAMPLE, "an existing entry: keep the question as one of its examples"),
            (EXTEND, "an existing entry: add the question's words to its terms"),
            (
                OUT_OF_SCOPE,
                "no answer: the bot is right to decline it (kept as an out-of-scope question, "
                "so that questions like it are declined too)",
            ),
        ],
        widget=forms.RadioSelect,
    )
    terms = forms.CharField(
        required=False,
        max_length=MAX_TERMS_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2, "class": "vLargeTextField"}),
        help_text="New entry: words that questions on this topic are likely to contain.",
    )
    answer = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "class": "vLargeTextField"}),
        help_text="New entry: what the bot will answer.",
    )
    entry = EntryChoiceField(
        queryset=KnowledgeEntry.objects.none(),
        required=False,
        label="Existing entry",
        help_text="Existing entry: the question becomes its example, or its words its terms.",
    )

    #: For the actions on an existing entry: what to ask for when none is chosen, and why an
    #: answer given is refused.
    _EXISTING = {
        EXAMPLE: (
            "Choose the entry to keep the question as an example of.",
            "You chose an existing entry, whose answer stays as it is: clear this "
            "answer, or choose to create a new entry instead.",
        ),
        EXTEND: (
            "Choose the entry to add the question's words to.",
            "You chose to extend an existing entry, whose answer stays as it is: clear "
            "this answer, or choose to create a new entry instead.",
        ),
    }

    class Meta:
        model = UnansweredQuestion
        fields: list[str] = []

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        question = self.instance
        if question.pk is not None:
            self.fields["entry"].queryset = KnowledgeEntry.objects.filter(
                profile_id=question.profile_id
            ).order_by("id")
            self.fields["terms"].initial = " ".join(question.words)

    def clean(self) -> dict:
        cleaned = super().clean()
        action = cleaned.get("action")
        if action == self.NEW:
            if not cleaned.get("terms"):
                self.add_error("terms", "Give the terms of the new entry.")
            if not cleaned.get("answer"):
                self.add_error("answer", "Give the answer of the new entry.")
            if cleaned.get("entry") is not None:
                self.add_error(
                    "entry",
                    "You chose to create a new entry: leave this empty, or choose to add the "
                    "words to an existing entry instead.",
                )
        elif action == self.OUT_OF_SCOPE:
            # Not the terms: they come filled in with the question's words.
            for field in ("answer", "entry"):
                if cleaned.get(field):
                    self.add_error(
                        field,
                        "You chose to give no answer: leave this empty, or choose a way to "
                        "answer the question instead.",
                    )
        elif action in self._EXISTING:
            choose, keep_answer = self._EXISTING[action]
            if cleaned.get("entry") is None and "entry" not in self.errors:
                self.add_error("entry", choose)
            if cleaned.get("answer"):
                self.add_error("answer", keep_answer)
        return cleaned


class TryQuestionForm(forms.Form):
    """A question to put to the live bot, optionally as if asked on a product's page."""

    question = forms.CharField(max_length=2000, widget=forms.TextInput(attrs={"size": 80}))
    product_name = forms.CharField(required=False, max_length=200, label="Product name (optional)")
    product_price = forms.DecimalField(
        required=False, min_value=0, decimal_places=2, max_digits=10, label="Price"
    )
    product_stock = forms.IntegerField(required=False, min_value=0, label="In stock")

    def clean(self) -> dict:
        cleaned = super().clean()
        if not cleaned.get("product_name") and (
            cleaned.get("product_price") is not None or cleaned.get("product_stock") is not None
        ):
            self.add_error("product_name", "Name the product whose price or stock you give.")
        return cleaned

    def page_context(self) -> PageContext | None:
        """The page the question is asked on: a product's, if one is described."""
        name = self.cleaned_data.get("product_name")
        if not name:
            return None
        price: Decimal | None = self.cleaned_data.get("product_price")
        stock: int | None = self.cleaned_data.get("product_stock")
        product = ProductFacts(
            name=name,
            price=f"{price if price is not None else Decimal('0'):.2f}",
            stock=stock if stock is not None else 0,
            description="",
        )
        return PageContext(product=product)
