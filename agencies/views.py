"""Two-factor pages: enrol an authenticator app (QR code drawn on the server, or the
secret to type in), and enter a one-time code after the password."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEvent
from audit.recorder import record

from . import roles, services, two_factor
from .models import Agency


class TokenForm(forms.Form):
    token = forms.RegexField(
        label=_("One-time code"), regex=r"^\s*\d{6}\s*$", max_length=12,
        error_messages={"invalid": _("Enter the six digits your authenticator app shows.")},
        help_text=_("Six digits from your authenticator app."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


@login_required
def two_factor_setup(request):
    if two_factor.confirmed_device(request.user) is not None:
        return redirect("two-factor-verify")
    device = two_factor.totp_device_start(actor=request.user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if two_factor.totp_device_confirm(actor=request.user, request=request,
                                          token=form.cleaned_data["token"].strip()):
            return redirect(two_factor.safe_next(request, "/"))
        form.add_error("token", _("That code is not right. Check the time on your phone and try the next code."))
    return render(request, "registration/two_factor_setup.html", {
        "form": form, "qr_svg": two_factor.qr_svg(device), "secret": two_factor.secret_base32(device),
        "next": two_factor.safe_next(request, "/"),
    }, status=400 if form.errors else 200)


@login_required
def two_factor_verify(request):
    if two_factor.confirmed_device(request.user) is None:
        return redirect("two-factor-setup")
    if request.user.is_verified():
        return redirect(two_factor.safe_next(request, "/"))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if two_factor.otp_verify(actor=request.user, request=request, token=form.cleaned_data["token"].strip()):
            return redirect(two_factor.safe_next(request, "/"))
        form.add_error("token", _("That code is not right, or you tried too often. Wait for the next code."))
    return render(request, "registration/two_factor_verify.html", {
        "form": form, "next": two_factor.safe_next(request, "/"),
    }, status=400 if form.errors else 200)


class SignInSettingsForm(forms.Form):
    require_two_factor_for_reporters = forms.BooleanField(
        label=_("Reporters sign in with a one-time code too"), required=False,
        help_text=_("Every other role always does."))


def access_agency(*, user, agency_id: int, action: str) -> Agency:
    """An agency the user administers. Any other answers like a missing one (404), and the
    attempt is audited."""
    membership = roles.memberships_for(user, action).filter(agency_id=agency_id).select_related("agency").first()
    if membership is None:
        record(action=action, actor=user, outcome=AuditEvent.Outcome.DENIED, target_type="agencies.agency",
               target_id=agency_id)
        raise Http404
    return membership.agency


@login_required
def agency_sign_in_settings(request, agency_id: int):
    agency = access_agency(user=request.user, agency_id=agency_id, action=roles.MANAGE_SIGN_IN)
    form = SignInSettingsForm(request.POST or None, initial={
        "require_two_factor_for_reporters": agency.require_two_factor_for_reporters})
    if request.method == "POST" and form.is_valid():
        services.agency_require_two_factor_for_reporters(
            actor=request.user, agency=agency, required=form.cleaned_data["require_two_factor_for_reporters"])
        messages.success(request, gettext("Saved."))
        return redirect("agency-sign-in", agency_id=agency.pk)
    return render(request, "agencies/sign_in_settings.html", {"agency": agency, "form": form})
