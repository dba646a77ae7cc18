"""Named people, one per role and agency, with an outsider in another municipality."""

from dataclasses import dataclass

import pytest
from django.test import Client
from rest_framework.test import APIClient

from agencies.models import Agency, Membership, Municipality, User

from .factories import AgencyFactory, MembershipFactory, MunicipalityFactory, PoliceDistrictFactory

Role = Membership.Role
Kind = Agency.Kind


@dataclass
class World:
    home: Municipality
    elsewhere: Municipality
    school: Agency
    child_welfare: Agency
    emergency: Agency
    police: Agency
    immigration: Agency
    slt: Agency
    outsider_child_welfare: Agency
    outsider_school: Agency
    reporter: User
    coordinator: User
    second_coordinator: User
    caseworker: User
    liaison: User
    emergency_coordinator: User
    slt_coordinator: User
    immigration_officer: User
    auditor: User
    agency_admin: User
    outsider: User
    outsider_reporter: User


def _member(username, agency, role, **extra):
    return MembershipFactory(user__username=username, agency=agency, role=role, **extra).user


@pytest.fixture
def reference_data(db):
    """The taxonomy, legal bases and routing rules a data migration loads. A transactional
    test flushes every table afterwards, migration data included, so tests that follow one
    load it again (idempotent)."""
    import importlib

    from django.apps import apps

    for migration in ("0002_taxonomy_and_routing_rules", "0004_statutory_clocks", "0010_legal_basis_agency_kinds",
                      "0012_consultation_without_identity_and_consent_documents"):
        importlib.import_module(f"referrals.migrations.{migration}").load(apps, None)


@pytest.fixture
def world(db, reference_data) -> World:
    district = PoliceDistrictFactory(code="sor-ost", name="Sør-Øst politidistrikt")
    home = MunicipalityFactory(number="3301", name="Drammen", police_district=district)
    elsewhere = MunicipalityFactory(number="4601", name="Bergen",
                                    police_district=PoliceDistrictFactory(code="vest", name="Vest"))
    school = AgencyFactory(name="Fjell skole", kind=Kind.SCHOOL, municipality=home)
    child_welfare = AgencyFactory(name="Barneverntjenesten i Drammen", kind=Kind.CHILD_WELFARE, municipality=home)
    emergency = AgencyFactory(name="Barnevernvakten", kind=Kind.CHILD_WELFARE_EMERGENCY, municipality=home)
    police = AgencyFactory(name="Politiet Sør-Øst", kind=Kind.POLICE, municipality=None, police_district=district)
    immigration = AgencyFactory(name="PU", kind=Kind.IMMIGRATION, municipality=None, police_district=district)
    slt = AgencyFactory(name="SLT Drammen", kind=Kind.SLT, municipality=home)
    outsider_cw = AgencyFactory(name="Barneverntjenesten i Bergen", kind=Kind.CHILD_WELFARE, municipality=elsewhere)
    outsider_school = AgencyFactory(name="Bergen skole", kind=Kind.SCHOOL, municipality=elsewhere)
    return World(
        home=home, elsewhere=elsewhere, school=school, child_welfare=child_welfare, emergency=emergency,
        police=police, immigration=immigration, slt=slt, outsider_child_welfare=outsider_cw,
        outsider_school=outsider_school,
        reporter=_member("reporter", school, Role.REPORTER),
        coordinator=_member("coordinator", child_welfare, Role.COORDINATOR),
        second_coordinator=_member("coordinator2", child_welfare, Role.COORDINATOR),
        caseworker=_member("caseworker", child_welfare, Role.CASEWORKER),
        liaison=_member("liaison", police, Role.LIAISON),
        emergency_coordinator=_member("emergency", emergency, Role.COORDINATOR),
        slt_coordinator=_member("sltcoordinator", slt, Role.COORDINATOR),
        immigration_officer=_member("immigration", immigration, Role.LIAISON),
        auditor=_member("auditor", child_welfare, Role.AUDITOR),
        agency_admin=_member("agencyadmin", child_welfare, Role.AGENCY_ADMIN),
        outsider=_member("outsider", outsider_cw, Role.COORDINATOR),
        outsider_reporter=_member("outsider_reporter", outsider_school, Role.REPORTER),
    )


@pytest.fixture
def api():
    def client_for(user: User | None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return client_for


@pytest.fixture
def referral_payload():
    return {
        "child": {"given_name": "Ola", "family_name": "Nordmann", "date_of_birth": "2012-05-17"},
        "categories": ["F"],
        "duty_triggers": ["serious_neglect"],
        "concern": "Comes to school hungry; has been seen with several new phones.",
    }


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Real hashing is deliberately slow; tests sign in hundreds of times.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pass_second_factor(client, user) -> None:
    """What entering a valid one-time code does: the session counts as verified with the
    person's confirmed TOTP device (one is made if they have none). Only for people who
    must use two factors; tests of the sign-in itself use a plain Client."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from agencies import two_factor

    if not two_factor.required_for(user):
        return
    device = two_factor.confirmed_device(user) or TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


class SignedInClient(Client):
    """A test client whose login() and force_login() pass both factors, as a person
    completing the sign-in would."""

    def login(self, **credentials):
        # Client.login() authenticates without a request; django-axes (lockout) needs one.
        from django.contrib.auth import authenticate
        from django.http import HttpRequest

        request = HttpRequest()
        request.META["REMOTE_ADDR"] = "127.0.0.1"
        user = authenticate(request, **credentials)
        if user is None:
            return False
        self._login(user)
        pass_second_factor(self, user)
        return True

    def force_login(self, user, backend=None):
        super().force_login(user, backend)
        pass_second_factor(self, user)


@pytest.fixture
def client():
    return SignedInClient()


@pytest.fixture
def signed_in():
    """Sign a person in on a test client the way they would pass the sign-in (both factors)."""
    def sign_in(client, user):
        client.force_login(user)
        pass_second_factor(client, user)
        return client

    return sign_in


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # API rate-limit counters live in the (local-memory) cache: each test starts at zero.
    from django.core.cache import cache

    cache.clear()


# The whole run's logs and e-mails are scanned for national identity numbers and children's
# names (tests/leak_scan.py); these hooks switch it on.
from .leak_scan import (  # noqa: E402,F401
    pytest_configure,
    pytest_runtest_setup,
    pytest_runtest_teardown,
    pytest_sessionfinish,
    pytest_terminal_summary,
)
