"""Two-factor sign-in (TOTP): who must, enrolment with a QR code drawn on the server, the
code after the password, and the API token endpoint."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies import two_factor
from audit.models import AuditEvent
from tests.factories import PASSWORD


def code(device: TOTPDevice, offset: int = 0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset):06d}"


def password_sign_in(user) -> Client:
    """A plain client (not the fixture that passes both factors) after the password step."""
    client = Client()
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_it_requires_two_factors_of_every_role_but_reporter(world):
    assert not two_factor.required_for(world.reporter)
    for person in (world.coordinator, world.caseworker, world.liaison, world.auditor, world.agency_admin):
        assert two_factor.required_for(person), person


def test_it_lets_an_agency_require_two_factors_of_its_reporters(world):
    world.school.require_two_factor_for_reporters = True
    world.school.save()
    assert two_factor.required_for(world.reporter)
    assert not two_factor.required_for(world.outsider_reporter)


def test_it_lets_a_reporter_in_with_the_password_alone(world):
    client = password_sign_in(world.reporter)
    assert client.get(reverse("home")).status_code == 200


def test_it_enrols_a_coordinator_without_a_device_before_anything_else(world, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # as if the person waited after a wrong code
    client = password_sign_in(world.coordinator)

    home = client.get(reverse("referrals:queue"))
    assert home.status_code == 302 and home["Location"].startswith(reverse("two-factor-setup"))
    assert client.get("/api/v1/referrals/").status_code == 403

    page = client.get(home["Location"])
    assert page.status_code == 200
    assert b"<svg" in page.content and b"<script" not in page.content
    device = TOTPDevice.objects.get(user=world.coordinator, confirmed=False)
    assert two_factor.secret_base32(device).encode() in page.content

    wrong = client.post(home["Location"], {"token": f"{(int(code(device)) + 1) % 1000000:06d}"})
    assert wrong.status_code == 400
    device.refresh_from_db()
    assert not device.confirmed

    done = client.post(home["Location"], {"token": code(device), "next": "/referrals/queue/"})

    assert done.status_code == 302 and done["Location"] == "/referrals/queue/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("referrals:queue")).status_code == 200
    assert list(AuditEvent.objects.filter(action__startswith="auth.otp").order_by("id")
                .values_list("action", "outcome")) == [
        ("auth.otp_enrolment_started", "ok"), ("auth.otp_enrolment_failed", "failed"), ("auth.otp_enrolled", "ok")]


def test_it_asks_for_the_code_after_the_password(world):
    device = TOTPDevice.objects.create(user=world.coordinator, name="phone", confirmed=True)
    client = password_sign_in(world.coordinator)

    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("two-factor-verify"))

    wrong = client.post(reverse("two-factor-verify"), {"token": "12345"})
    assert wrong.status_code == 400 and client.get(reverse("home")).status_code == 302

    ok = client.post(reverse("two-factor-verify"), {"token": code(device), "next": "https://evil.example/"})

    assert ok.status_code == 302 and ok["Location"] == "/"
    assert client.get(reverse("home")).status_code == 200
    assert AuditEvent.objects.filter(action="auth.otp_verified", actor=world.coordinator).count() == 1


def test_it_audits_and_throttles_wrong_codes(world):
    device = TOTPDevice.objects.create(user=world.coordinator, name="phone", confirmed=True)
    client = password_sign_in(world.coordinator)
    bad = f"{(int(code(device)) + 500000) % 1000000:06d}"

    client.post(reverse("two-factor-verify"), {"token": bad})
    # Right after a failure the device refuses even the right code (throttling).
    throttled = client.post(reverse("two-factor-verify"), {"token": code(device)})

    assert throttled.status_code == 400
    failures = AuditEvent.objects.filter(action="auth.otp_failed", actor=world.coordinator).order_by("id")
    assert [e.changes["throttled"] for e in failures] == [False, True]


def test_it_demands_the_code_for_an_api_token(world, api):
    device = TOTPDevice.objects.create(user=world.coordinator, name="phone", confirmed=True)
    client = api(None)
    body = {"username": "coordinator", "password": PASSWORD}

    missing = client.post("/api/v1/auth/token/", body, format="json")
    assert missing.status_code == 400 and "otp_token" in missing.json()

    ok = client.post("/api/v1/auth/token/", {**body, "otp_token": code(device)}, format="json")

    assert ok.status_code == 200 and ok.json()["token"]
    assert list(AuditEvent.objects.order_by("id").values_list("action", flat=True)) == ["auth.token_issued"]


def test_it_refuses_an_api_token_to_someone_who_has_not_enrolled(world, api):
    response = api(None).post("/api/v1/auth/token/", {"username": "coordinator", "password": PASSWORD,
                                                       "otp_token": "123456"}, format="json")
    assert response.status_code == 400 and "otp_token" in response.json()


def test_it_prints_the_current_demo_code(db, capsys):
    from django.core.management import call_command

    call_command("seed_demo", verbosity=0)
    device = TOTPDevice.objects.get(user__username="koordinator", confirmed=True)
    assert not TOTPDevice.objects.filter(user__username="laerer").exists()

    capsys.readouterr()
    call_command("demo_totp", "koordinator")

    printed = capsys.readouterr().out.strip()
    assert re.fullmatch(r"\d{6}", printed)
    assert printed in {code(device, -1), code(device), code(device, 1)}


@pytest.mark.parametrize("username", ["koordinator", "drift"])
def test_it_seeds_demo_devices_idempotently(db, username):
    from django.core.management import call_command

    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", verbosity=0)
    assert TOTPDevice.objects.filter(user__username=username, confirmed=True).count() == 1
