from __future__ import annotations

from django import forms


class PrechatForm(forms.Form):
    name = forms.CharField(max_length=120, required=False, label="Your name")
    email = forms.EmailField(max_length=254, required=False, label="Your email")


class ChatSettingsForm(forms.Form):
    allowed_origins = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Sites that may embed the widget",
        help_text="One origin per line, e.g. https://www.example.com. The hosted chat page always works.",
    )
    prechat_form = forms.BooleanField(required=False, label="Ask for name and email before the chat starts")
    welcome = forms.CharField(max_length=200, required=False, label="Welcome message")
    visitor_messages_per_minute = forms.IntegerField(min_value=1, max_value=600,
                                                     label="Messages per visitor per minute")
    tenant_messages_per_minute = forms.IntegerField(min_value=1, max_value=1_000_000,
                                                    label="Messages per minute for the whole help desk")
