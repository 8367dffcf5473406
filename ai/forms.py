"""The AI settings form: fixed fields plus one routing choice per knowledge-base category."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ai.models import AISettings, Feedback

ROUTE_PREFIX = "route_"


class AISettingsForm(forms.ModelForm[AISettings]):
    human_only_categories = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label=_("Topics only agents answer"),
        help_text=_("The bot hands these categories to an agent even when the knowledge base has an answer."),
    )
    # Write-only: the key is stored encrypted and never rendered back (render_value=False), only its last characters.
    api_key = forms.CharField(
        required=False, max_length=500, strip=True, label=_("API key of your endpoint"),
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Sent only to the endpoint URL above. Stored encrypted and never shown again; leave empty to keep "
                    "the current key."),
    )
    clear_api_key = forms.BooleanField(required=False, label=_("Remove the stored API key"))

    class Meta:
        model = AISettings
        fields = ["auto_reply_chat", "auto_reply_email", "suggestions_enabled", "offer_articles", "confidence_floor",
                  "backend",
                  "model", "endpoint_url", "handoff_on_negative", "negative_threshold", "urgent_when_angry"]
        labels = {
            "backend": _("Backend"),
            "model": _("Model"),
            "endpoint_url": _("Endpoint URL"),
            "auto_reply_chat": _("Bot answers in chat"),
            "auto_reply_email": _("Auto-reply to new email tickets"),
            "suggestions_enabled": _("Suggest replies to agents"),
            "offer_articles": _("Offer articles when unsure"),
            "confidence_floor": _("Confidence floor (0-1)"),
            "handoff_on_negative": _("Hand angry customers to an agent"),
            "negative_threshold": _("Anger threshold (sentiment, -1..0)"),
            "urgent_when_angry": _("Mark tickets from angry customers urgent"),
        }
        help_texts = {
            "offer_articles": _("Below the confidence floor, the bot shows up to three articles that may help, with "
                                "\"Talk to a person\" beside them. Off: it hands the customer to an agent at once."),
            "confidence_floor": _("The bot answers only when the estimated chance that its reply is right reaches "
                                  "this. Leave empty for the calibrated default; higher means fewer, safer answers."),
        }

    def __init__(self, *args: Any, categories: list[tuple[str, str]], teams: list[tuple[int, str]],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field = self.fields["human_only_categories"]
        assert isinstance(choice_field, forms.MultipleChoiceField)
        choice_field.choices = categories
        self.fields["human_only_categories"].initial = list(self.instance.human_only_categories)
        if self.instance.api_key_hint:
            hint = _("A key ending %(hint)s is stored.") % {"hint": self.instance.api_key_hint}
            self.fields["api_key"].help_text = f"{hint} {self.fields['api_key'].help_text}"
        team_choices = [("", _("No routing")), *[(str(i), name) for i, name in teams]]
        for slug, title in categories:
            self.fields[ROUTE_PREFIX + slug] = forms.TypedChoiceField(
                choices=team_choices, required=False, coerce=int, empty_value=None,
                label=_("Route “%(category)s” to") % {"category": title},
                initial=self.instance.routing_rules.get(slug),
            )

    def changes(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["human_only_categories"] = list(self.cleaned_data["human_only_categories"])
        data["api_key"], data["clear_api_key"] = self.cleaned_data["api_key"], self.cleaned_data["clear_api_key"]
        data["routing_rules"] = {
            name.removeprefix(ROUTE_PREFIX): value for name, value in self.cleaned_data.items()
            if name.startswith(ROUTE_PREFIX) and value
        }
        return data


class TrainForm(forms.Form):
    """No fields: a POST starts a training run."""


class SuggestionFeedbackForm(forms.Form):
    verdict = forms.ChoiceField(choices=[(k, k) for k in (Feedback.Kind.INSERTED, Feedback.Kind.EDITED,
                                                         Feedback.Kind.DISMISSED)])
    text = forms.CharField(required=False, max_length=8000, strip=False)
