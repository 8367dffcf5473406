from __future__ import annotations

from django import forms

from kb.models import Category
from kb.rendering import parse_tags
from tenants.models import Tenant


class ArticleForm(forms.Form):
    title = forms.CharField(max_length=200)
    slug = forms.SlugField(max_length=120, required=False, help_text="Leave empty to derive it from the title.")
    category = forms.ModelChoiceField(queryset=Category.objects.none(), required=False)
    tags = forms.CharField(max_length=400, required=False, help_text="Comma-separated.")
    locale = forms.CharField(max_length=10, initial="en")
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 22, "data-preview-source": ""}), required=False,
                           label="Body (Markdown)", max_length=200_000)
    note = forms.CharField(max_length=200, required=False, label="Revision note")

    def __init__(self, *args: object, tenant: Tenant, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["category"].queryset = Category.objects.for_tenant(tenant).order_by("position", "title")  # type: ignore[attr-defined]

    def clean_tags(self) -> list[str]:
        return parse_tags(str(self.cleaned_data.get("tags") or ""))


class CategoryForm(forms.Form):
    title = forms.CharField(max_length=120)
    slug = forms.SlugField(max_length=80, required=False)
    description = forms.CharField(max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    position = forms.IntegerField(min_value=0, max_value=100_000, required=False)


class ImportForm(forms.Form):
    archive = forms.FileField(label="Zip of Markdown files",
                              help_text="Folders are categories (optional _category.md), files are articles.")
    publish = forms.BooleanField(required=False, initial=True, label="Publish the imported articles")


class PreviewForm(forms.Form):
    body = forms.CharField(required=False, max_length=200_000)


class FeedbackForm(forms.Form):
    helpful = forms.TypedChoiceField(choices=[("yes", "Yes"), ("no", "No")], coerce=lambda v: v == "yes")
    comment = forms.CharField(max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}))


class SearchForm(forms.Form):
    q = forms.CharField(max_length=500, required=False, label="Search")
    mode = forms.ChoiceField(choices=[("hybrid", "Hybrid"), ("vector", "Meaning"), ("fts", "Words")],
                             required=False)
