from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.password_validation import validate_password

from tenants.models import Role, Tenant, User, slug_validator


class SignupForm(forms.Form):
    company = forms.CharField(max_length=120, label="Company name")
    slug = forms.CharField(
        max_length=40, validators=[slug_validator], label="Help desk address",
        help_text="Lowercase letters, digits and hyphens; your help desk lives at /t/<address>/.",
    )
    name = forms.CharField(max_length=120, label="Your name", required=False)
    email = forms.EmailField(label="Work email", max_length=254)
    password = forms.CharField(widget=forms.PasswordInput, min_length=8)

    def clean_slug(self) -> str:
        slug = str(self.cleaned_data["slug"]).strip().lower()
        if Tenant.objects.filter(slug=slug).exists():
            raise forms.ValidationError("This address is already taken.")
        return slug

    def clean_email(self) -> str:
        return str(self.cleaned_data["email"]).strip().lower()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        password, email = data.get("password"), data.get("email")
        if password and email:
            existing = User.objects.filter(email=email).first()
            if existing is not None and not existing.check_password(password):
                self.add_error("email", "An account with this email exists; use its password.")
            elif existing is None:
                try:
                    validate_password(password)
                except forms.ValidationError as exc:
                    self.add_error("password", exc)
        return data


class InviteForm(forms.Form):
    email = forms.EmailField(max_length=254)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.AGENT)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=80)


class AcceptInvitationForm(forms.Form):
    name = forms.CharField(max_length=120, required=False)
    password = forms.CharField(widget=forms.PasswordInput, min_length=8, required=False)


class TenantSettingsForm(forms.Form):
    name = forms.CharField(max_length=120)
    custom_domain = forms.CharField(max_length=253, required=False, help_text="e.g. help.example.com")
    primary_color = forms.RegexField(regex=r"^#[0-9a-fA-F]{6}$", required=False, initial="#2563eb",
                                     error_messages={"invalid": "Use a hex colour such as #2563eb."})
    logo_url = forms.URLField(required=False)
    welcome = forms.CharField(max_length=200, required=False, label="Welcome line on hosted pages")
