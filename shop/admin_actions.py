"""Admin actions that ask staff for a reason on an intermediate page before they run (refunds, removals)."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.template.response import TemplateResponse

from shop.services.errors import ShopError


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=255)


def with_reason(
    model_admin: admin.ModelAdmin,
    request,
    queryset: QuerySet,
    *,
    action: str,
    title: str,
    explain: str,
    button: str,
    run: Callable[[object, str], object],
    done: str,
):
    """Show the selected objects and a reason field; on submit run ``run(obj, reason)`` for each,
    reporting how many were done (``done`` with ``{n}``) and each refusal."""
    if "apply" in request.POST:
        form = ReasonForm(request.POST)
        if form.is_valid():
            count, failed = 0, []
            for obj in queryset:
                try:
                    run(obj, form.cleaned_data["reason"])
                    count += 1
                except ShopError as exc:
                    failed.append(f"{obj}: {exc}")
            if count:
                model_admin.message_user(request, done.format(n=count), messages.SUCCESS)
            for problem in failed:
                model_admin.message_user(request, problem, messages.ERROR)
            return None
    else:
        form = ReasonForm()
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "explain": explain,
        "button": button,
        "objects": list(queryset),
        "form": form,
        "action": action,
        "opts": model_admin.model._meta,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "shop/admin/reason.html", context)
