"""Break the glass, as a page: type the reference and the reason. The answer is the same
whether or not the reference exists (see referrals/services/access.py)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agencies import roles
from config.exceptions import ConflictError

from . import services
from .models.access import (
    BREAK_GLASS_MAX_HOURS,
    BREAK_GLASS_MIN_HOURS,
    BREAK_GLASS_REASON_MAX_LENGTH,
    BREAK_GLASS_REASON_MIN_LENGTH,
)


class BreakGlassForm(forms.Form):
    reference = forms.CharField(label=gettext_lazy("Reference of the referral"), max_length=32)
    reason = forms.CharField(
        label=gettext_lazy("Why do you need access?"), min_length=BREAK_GLASS_REASON_MIN_LENGTH,
        max_length=BREAK_GLASS_REASON_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("Auditors and the agency that owns the referral read this."))
    hours = forms.TypedChoiceField(
        label=gettext_lazy("For how long"), coerce=int, initial=4,
        choices=[(h, h) for h in range(BREAK_GLASS_MIN_HOURS, BREAK_GLASS_MAX_HOURS + 1)],
        help_text=gettext_lazy("Hours. Access ends by itself."))


@login_required
def break_glass(request):
    if not roles.can(request.user, roles.BREAK_GLASS):
        services.break_glass_refuse(actor=request.user)
    form = BreakGlassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reference, expires_at = services.break_glass_request(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        except ConflictError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _(
                "Your request for %(reference)s is recorded. If a sent referral has this reference, you can "
                "read it until %(until)s. The agency that owns it and the auditors are told.") % {
                "reference": reference,
                "until": formats.date_format(timezone.localtime(expires_at), "SHORT_DATETIME_FORMAT")})
            return redirect("referrals:detail", reference=reference)
    return render(request, "referrals/break_glass.html", {"form": form}, status=400 if form.errors else 200)
