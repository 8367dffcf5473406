from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class PrechatForm(forms.Form):
    name = forms.CharField(max_length=120, required=False, label=_("Your name"))
    email = forms.EmailField(max_length=254, required=False, label=_("Your email"))


class ChatSettingsForm(forms.Form):
    allowed_origins = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label=_("Sites that may embed the widget"),
        help_text=_("One origin per line, e.g. https://www.example.com. The hosted chat page always works."),
    )
    prechat_form = forms.BooleanField(required=False, label=_("Ask for name and email before the chat starts"))
    welcome = forms.CharField(max_length=200, required=False, label=_("Welcome message"))
    visitor_messages_per_minute = forms.IntegerField(min_value=1, max_value=600,
                                                     label=_("Messages per visitor per minute"))
    tenant_messages_per_minute = forms.IntegerField(min_value=1, max_value=1_000_000,
                                                    label=_("Messages per minute for the whole help desk"))
