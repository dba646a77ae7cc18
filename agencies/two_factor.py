"""Two-factor sign-in (TOTP, django-otp): who must use it, enrolling a device, verifying a
code. Every role except reporter must; an agency admin can require it of the agency's
reporters too (Agency.require_two_factor_for_reporters); staff (the admin site) must.

A person who must and has not verified a code in this session is sent by the middleware
to enrol (no device yet) or to enter a code, and reaches nothing else.
"""

from base64 import b32encode
from io import BytesIO

import qrcode
import qrcode.image.svg
from django.db import transaction
from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent
from audit.recorder import record

from .models import Membership

DEVICE_NAME = "Samvirke"


def required_for(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff or user.is_superuser:
        return True
    return Membership.objects.filter(user=user, is_active=True, agency__is_active=True).filter(
        ~Q(role=Membership.Role.REPORTER) | Q(agency__require_two_factor_for_reporters=True)).exists()


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


@transaction.atomic
def totp_device_start(*, actor) -> TOTPDevice:
    """The person's unconfirmed device to enrol (one, kept until confirmed)."""
    device = TOTPDevice.objects.select_for_update().filter(user=actor, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=actor, name=DEVICE_NAME, confirmed=False)
        record(action="auth.otp_enrolment_started", actor=actor, target=actor)
    return device


@transaction.atomic
def totp_device_confirm(*, actor, request, token: str) -> bool:
    """Confirm the enrolment with a first code, and count this session as verified."""
    device = TOTPDevice.objects.select_for_update().filter(user=actor, confirmed=False).order_by("pk").first()
    if device is None or not device.verify_token(token):
        record(action="auth.otp_enrolment_failed", actor=actor, target=actor, outcome=AuditEvent.Outcome.FAILED)
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    otp_login(request, device)
    record(action="auth.otp_enrolled", actor=actor, target=actor, changes={"device": device.persistent_id})
    return True


def otp_check(*, actor, token: str) -> TOTPDevice | None:
    """The confirmed device that accepts the code, or None. Failures are audited; the
    device's own throttle slows guessing (each failure doubles the wait)."""
    device = confirmed_device(actor)
    if device is None:
        return None
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        allowed, _why = device.verify_is_allowed()
        if allowed and device.verify_token(token):
            return device
        record(action="auth.otp_failed", actor=actor, target=actor, outcome=AuditEvent.Outcome.FAILED,
               changes={"throttled": not allowed})
    return None


def otp_verify(*, actor, request, token: str) -> bool:
    device = otp_check(actor=actor, token=token)
    if device is None:
        return False
    otp_login(request, device)
    record(action="auth.otp_verified", actor=actor, target=actor)
    return True


def qr_svg(device: TOTPDevice) -> str:
    """The provisioning address as an SVG QR code, drawn on the server."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    out = BytesIO()
    image.save(out)
    return out.getvalue().decode()


def secret_base32(device: TOTPDevice) -> str:
    return b32encode(device.bin_key).decode().rstrip("=")


def safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return default


EXEMPT_PREFIXES = ("/accounts/logout/", "/accounts/two-factor/", "/i18n/", "/healthz", "/static/")


class TwoFactorMiddleware:
    """After django_otp's OTPMiddleware: a signed-in person who must use two factors and has
    not verified a code in this session reaches only enrolment, verification and sign-out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated and not user.is_verified()
                and not request.path.startswith(EXEMPT_PREFIXES) and required_for(user)):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": _("Verify your one-time code to continue.")}, status=403)
            name = "two-factor-verify" if confirmed_device(user) else "two-factor-setup"
            after = request.get_full_path() if request.method == "GET" else "/"
            return redirect(f"{reverse(name)}?{urlencode({'next': after})}")
        return self.get_response(request)
