"""Every URL pattern of the web UI and the API, for every role of an outsider agency,
with GET, POST and any other method the view implements: an object of another agency is
denied (404 or 403) and the denial is audited; anonymous visitors are sent to sign in.

New endpoints are covered without editing this test. A path parameter the test cannot
fill makes it FAIL: add a filler to FILLERS (and, for a new object type, make the view
deny and audit through referrals/access.py). Only the URLs in PUBLIC are left out.
"""

import re

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from agencies.models import Membership
from audit.models import Anomaly, AuditEvent
from referrals import services
from referrals.models import Consent, Notification, Referral
from tests.factories import MembershipFactory

Role = Membership.Role

# Public (or with their own authentication), each with the reason.
PUBLIC = {
    "accounts/login/": "the sign-in page itself",
    "accounts/logout/": "signing out needs no permission and shows nothing",
    "api/v1/auth/token/": "the API's sign-in: exchanges credentials for a token",
    "healthz": "database and broker status for the load balancer; no data",
    "api/schema/": "the OpenAPI description; no data",
    "api/docs/": "the API docs page; no data",
    "i18n/": "the language switch (a cookie); no data",
    "admin/": "Django admin has its own authentication (staff only) and audit",
    "static/": "static files",
}

# Path parameter → how to fill it with an object of the agencies the outsiders are not in.
FILLERS = {
    "reference": lambda target: target.referral.reference,
    "case_id": lambda target: target.case_id,
    "notification_id": lambda target: target.notification.pk,
    "agency_id": lambda target: target.agency.pk,
    "event_id": lambda target: target.event.pk,
    "anomaly_id": lambda target: target.anomaly.pk,
}
# On these routes a reference names a consent (one with a document), not a referral.
CONSENT_ROUTE = re.compile(r"(^|/)consents/<str:reference>/")

# Methods besides GET and POST that class-based views implement are tried too.
EXTRA_METHODS = ("put", "patch", "delete")
PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>|\(\?P<(?P<group>[^>]+)>")


def url_patterns(patterns=None, prefix=""):
    """(route, pattern) for every URL pattern, resolvers walked recursively."""
    for p in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(p.pattern).lstrip("^").rstrip("$")
        if any(route.startswith(public) for public in PUBLIC):
            continue
        if isinstance(p, URLResolver):
            yield from url_patterns(p.url_patterns, route)
        else:
            assert isinstance(p, URLPattern)
            yield route, p


ROUTES = sorted(url_patterns(), key=lambda rp: rp[0])


def fill(route: str, target) -> str:
    def replace(match):
        name = match.group("name") or match.group("group")
        assert name in FILLERS, (
            f"URL {route!r} has a parameter {name!r} this test cannot fill: add a filler to FILLERS "
            "giving an object of another agency, so the new endpoint is checked too.")
        if name == "reference" and CONSENT_ROUTE.search(route):
            return target.consent.reference
        return str(FILLERS[name](target))

    return "/" + PARAMETER.sub(replace, route)


def methods_for(pattern: URLPattern) -> list[str]:
    view_class = getattr(pattern.callback, "view_class", None) or getattr(pattern.callback, "cls", None)
    extra = [m for m in EXTRA_METHODS if view_class is not None and hasattr(view_class, m)]
    return ["get", "post", *extra]


class Target:
    """A referral filed in Drammen and routed there, in a case, with a notification and a
    consent with its document; and the Drammen agency it is routed to."""

    def __init__(self, world, referral_payload, api):
        self.agency = world.child_welfare
        response = api(world.reporter).post("/api/v1/referrals/", referral_payload, format="json")
        assert response.status_code == 201
        self.referral = Referral.objects.get(reference=response.json()["reference"])
        self.child_name = self.referral.child.family_name.encode()
        second = api(world.reporter).post("/api/v1/referrals/", referral_payload, format="json")
        other = Referral.objects.get(reference=second.json()["reference"])
        self.case_id = services.case_link(actor=world.coordinator, referrals=[self.referral, other]).pk
        self.notification = Notification.objects.filter(recipient=world.coordinator,
                                                        referral=self.referral).first()
        assert self.notification is not None
        self.consent = Consent.objects.create(
            referral=self.referral, agency=self.agency, given_by=Consent.Giver.GUARDIAN_1,
            child_view=Consent.View.AGREES, purposes=["routing"], form=Consent.Form.WRITTEN,
            recorded_by=world.coordinator, document_type="application/pdf", document_name="samtykke.pdf")
        self.consent.document.save("document.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"))
        # An audit event about the child, and an anomaly in Drammen, for the auditor's pages.
        self.event = AuditEvent.objects.filter(child_id=self.referral.child_id).order_by("pk").first()
        self.anomaly = Anomaly.objects.create(
            key=f"reads:{world.coordinator.pk}:test", kind=Anomaly.Kind.NIGHT_READS, actor=world.coordinator,
            actor_username=world.coordinator.username, agency=self.agency, window_start=timezone.now(),
            window_end=timezone.now(), count=1, first_event_id=self.event.pk, last_event_id=self.event.pk)


@pytest.fixture
def target(world, referral_payload, api, settings, tmp_path):
    storage = settings.STORAGES["consent_documents"]
    settings.STORAGES = {**settings.STORAGES, "consent_documents": {
        **storage, "OPTIONS": {**storage["OPTIONS"], "location": tmp_path / "private"}}}
    return Target(world, referral_payload, api)


@pytest.fixture
def outsiders(world):
    """One person per role, in agencies of another municipality."""
    people = {Role.REPORTER: world.outsider_reporter, Role.COORDINATOR: world.outsider}
    for role in Role:
        if role not in people:
            people[role] = MembershipFactory(user__username=f"outsider_{role}", role=role,
                                             agency=world.outsider_child_welfare).user
    return people


def test_it_knows_routes_with_and_without_parameters():
    with_params = [route for route, _p in ROUTES if PARAMETER.search(route)]
    assert "referrals/<str:reference>/" in with_params
    assert "api/v1/referrals/<str:reference>/" in with_params
    assert len(with_params) >= 20


@pytest.mark.parametrize("route,pattern", [rp for rp in ROUTES if PARAMETER.search(rp[0])], ids=lambda v: str(v))
def test_it_denies_every_outsider_role_an_object_of_another_agency_and_audits_it(
        route, pattern, target, outsiders, signed_in):
    url = fill(route, target)
    assert resolve(url).func == pattern.callback
    for role, person in outsiders.items():
        client = signed_in(Client(), person)
        for method in methods_for(pattern):
            before = AuditEvent.objects.filter(actor=person, outcome=AuditEvent.Outcome.DENIED).count()
            response = getattr(client, method)(url, content_type="application/json") if method != "get" \
                else client.get(url)
            where = f"{method.upper()} {url} as outsider {role}"
            # The address (and so the reference typed) may be echoed; the child never is.
            assert target.child_name not in response.content, where
            if response.status_code == 405:
                continue  # the view does not take this method at all: nothing was looked up
            assert response.status_code in (403, 404), f"{where}: {response.status_code}"
            after = AuditEvent.objects.filter(actor=person, outcome=AuditEvent.Outcome.DENIED).count()
            assert after > before, f"{where}: the denial was not audited"


@pytest.mark.parametrize("route,pattern", [rp for rp in ROUTES if not PARAMETER.search(rp[0])],
                         ids=lambda v: str(v))
def test_it_shows_no_object_of_another_agency_on_pages_without_parameters(
        route, pattern, target, outsiders, signed_in):
    url = "/" + route
    for role, person in outsiders.items():
        client = signed_in(Client(), person)
        for method in methods_for(pattern):
            response = getattr(client, method)(url, content_type="application/json") if method != "get" \
                else client.get(url)
            where = f"{method.upper()} {url} as outsider {role}"
            assert response.status_code < 500, where
            assert target.referral.reference.encode() not in response.content, where
            assert target.child_name not in response.content, where


@pytest.mark.parametrize("route,pattern", ROUTES, ids=lambda v: str(v))
def test_it_sends_anonymous_visitors_to_sign_in(route, pattern, target):
    url = fill(route, target) if PARAMETER.search(route) else "/" + route
    client = Client()
    for method in methods_for(pattern):
        response = getattr(client, method)(url)
        where = f"{method.upper()} {url} anonymous"
        if route.startswith("api/"):
            assert response.status_code in (401, 403), f"{where}: {response.status_code}"
        elif response.status_code != 405:
            assert response.status_code == 302, f"{where}: {response.status_code}"
            assert response["Location"].startswith("/accounts/login/"), where
        assert target.child_name not in response.content, where
