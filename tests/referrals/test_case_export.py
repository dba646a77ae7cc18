"""Exporting case data to another agency, through the API and the web pages: a recorded
disclosure on a legal basis usable for the recipient or a consent covering it, refusals
that say what is missing, the override (server-checked permission, a reason, flagged), 404
for those who may not, only the chosen parts in the document, and the disclosure log."""

import csv
import io
import re

import pytest
from django.urls import reverse
from django.utils import translation

from agencies.models import Membership
from audit.models import AuditEvent
from referrals.models import Consent, Disclosure, Referral

from tests.factories import MembershipFactory


@pytest.fixture
def filed(world, api, referral_payload):
    """A concern about a 14-year-old with a § 13-2 duty trigger (routed to child welfare on
    bvl-13-2), with a guardian who can consent and an identifier."""
    payload = {**referral_payload, "guardians": [{"name": "Mor", "informed": True}],
               "identifiers": [{"kind": "username", "platform": "snapchat", "value": "jobb_fixer"}]}
    response = api(world.reporter).post("/api/v1/referrals/", payload, format="json")
    assert response.status_code == 201, response.json()
    return Referral.objects.get(reference=response.json()["reference"])


def body_for(world, **overrides):
    """To another municipality's child welfare service (the child moved; bound for court),
    on forvaltningsloven § 13 b nr. 5, which any public body may receive on."""
    return {"recipient": world.outsider_child_welfare.pk, "legal_basis": "fvl-13b-5",
            "purpose": "municipality_transfer", "scope": ["categories_and_indicators", "narrative"],
            **overrides}


def export(api, world, referral, user=None, **overrides):
    return api(user or world.coordinator).post(f"/api/v1/referrals/{referral.reference}/exports/",
                                               body_for(world, **overrides), format="json")


def nothing_exported() -> bool:
    return (not Disclosure.objects.filter(kind=Disclosure.Kind.EXPORT).exists()
            and not AuditEvent.objects.filter(action="referral.exported").exists())


def made_events() -> int:
    return AuditEvent.objects.filter(action="disclosure.made").count()


def make_admin(world):
    """The coordinator also holds the admin role in the agency: they may override."""
    MembershipFactory(user=world.coordinator, agency=world.child_welfare, role=Membership.Role.AGENCY_ADMIN)


# --- API ------------------------------------------------------------------------------


def test_it_exports_the_chosen_parts_on_a_legal_basis_usable_for_the_recipient(world, api, filed):
    made_before = made_events()
    response = export(api, world, filed)
    assert response.status_code == 201, response.json()
    disclosure = Disclosure.objects.get(kind=Disclosure.Kind.EXPORT)
    assert (disclosure.referral, disclosure.sending_agency, disclosure.recipient) == (
        filed, world.child_welfare, world.outsider_child_welfare)
    assert disclosure.scope == ["categories_and_indicators", "narrative"]
    assert disclosure.purpose == "municipality_transfer" and disclosure.legal_basis.code == "fvl-13b-5"
    assert disclosure.approved_by == world.coordinator
    assert not disclosure.override and disclosure.consent is None and disclosure.handover is None
    exported = AuditEvent.objects.get(action="referral.exported")
    assert exported.actor == world.coordinator and exported.agency == world.child_welfare
    assert exported.target_id == str(filed.pk) and exported.child_id == filed.child_id
    assert exported.legal_basis == "fvl-13b-5" and exported.outcome == "ok"
    assert exported.changes["disclosure"] == disclosure.pk and exported.changes["scope"] == disclosure.scope
    assert made_events() == made_before + 1
    made = AuditEvent.objects.get(action="disclosure.made", target_id=str(disclosure.pk))
    assert made.changes["kind"] == "export" and made.changes["recipient"] == world.outsider_child_welfare.pk

    body = response.json()
    assert body["referral"] == filed.reference
    header = body["disclosure"]
    assert header["id"] == disclosure.pk and header["kind"] == "export"
    assert header["sending_agency"]["id"] == world.child_welfare.pk
    assert header["recipient"]["id"] == world.outsider_child_welfare.pk
    assert header["legal_basis"] == "fvl-13b-5" and header["law_reference"] == disclosure.legal_basis.law_reference
    assert header["consent"] is None and header["override"] is False
    assert header["approved_by"] == world.coordinator.username and header["created_at"]
    assert body["disclosed"].keys() == {"categories_and_indicators", "narrative"}
    assert body["disclosed"]["narrative"]["concern"] == filed.concern
    # No identity, no identifiers: the child's name and the username are nowhere in it.
    assert b"Nordmann" not in response.content and b"jobb_fixer" not in response.content


def test_it_names_the_download_by_reference_and_disclosure_id_only(world, api, filed):
    response = export(api, world, filed, scope=["identity"])
    assert response.status_code == 201
    disclosure = Disclosure.objects.get(kind=Disclosure.Kind.EXPORT)
    assert response["Content-Disposition"] == (
        f'attachment; filename="utlevering-{filed.reference}-{disclosure.pk}.json"')
    assert response["Cache-Control"] == "no-store"
    assert response.json()["disclosed"]["identity"]["family_name"] == "Nordmann"  # in scope this time


def test_it_exports_on_a_consent_that_covers_the_recipient_and_the_purpose(world, api, filed):
    recorded = api(world.coordinator).post("/api/v1/consents/", {
        "referral": filed.reference, "given_by": "guardian_1", "child_view": "agrees", "form": "written",
        "recipients": [world.police.pk], "purposes": ["concern_conversation"]}, format="json")
    assert recorded.status_code == 201, recorded.json()
    consent = Consent.objects.get()
    response = export(api, world, filed, recipient=world.police.pk, legal_basis="consent",
                      purpose="concern_conversation")
    assert response.status_code == 201, response.json()
    disclosure = Disclosure.objects.get(kind=Disclosure.Kind.EXPORT)
    assert disclosure.consent == consent and response.json()["disclosure"]["consent"] == consent.reference
    assert AuditEvent.objects.get(action="referral.exported").changes["consent"] == consent.reference


def test_it_refuses_a_basis_that_needs_consent_without_one_saying_what_is_missing(world, api, filed):
    made_before = made_events()
    response = export(api, world, filed, recipient=world.police.pk, legal_basis="consent",
                      purpose="police_report")
    assert response.status_code == 400
    assert list(response.json()) == ["consent"] and world.police.name in response.json()["consent"][0]
    assert nothing_exported() and made_events() == made_before


def test_it_refuses_a_legal_basis_the_recipient_cannot_receive_on(world, api, filed):
    response = export(api, world, filed, recipient=world.police.pk, legal_basis="bvl-13-2")
    assert response.status_code == 400 and list(response.json()) == ["legal_basis"]
    assert "barnevernsloven § 13-2" in response.json()["legal_basis"][0]  # the law reference is named
    assert nothing_exported()


@pytest.mark.parametrize("overrides, fields", [
    ({"scope": []}, {"scope"}),
    ({"scope": ["identity", "the_whole_file"]}, {"scope"}),
    ({"purpose": "gossip"}, {"purpose"}),
    ({"legal_basis": "no-such-basis", "recipient": 999_999}, {"legal_basis", "recipient"}),
    ({"consent": "CN-NOSUCH"}, {"consent"}),
    ({"override_reason": "x" * 3000}, {"override_reason"}),
])
def test_it_refuses_bad_input_with_field_messages_and_saves_nothing(world, api, filed, overrides, fields):
    response = export(api, world, filed, **overrides)
    assert response.status_code == 400 and set(response.json()) == fields, response.json()
    assert nothing_exported()


def test_it_refuses_an_export_to_the_sending_agency_itself(world, api, filed):
    response = export(api, world, filed, recipient=world.child_welfare.pk)
    assert response.status_code == 400 and list(response.json()) == ["recipient"]
    assert nothing_exported()


def test_it_accepts_only_a_consent_of_this_referral(world, api, filed, referral_payload):
    other = Referral.objects.get(reference=api(world.reporter).post(
        "/api/v1/referrals/", {**referral_payload, "guardians": [{"name": "Far", "informed": True}]},
        format="json").json()["reference"])
    assert api(world.coordinator).post("/api/v1/consents/", {
        "referral": other.reference, "given_by": "guardian_1", "child_view": "agrees", "form": "oral",
        "recipients": [world.police.pk], "purposes": ["police_report"]}, format="json").status_code == 201
    response = export(api, world, filed, recipient=world.police.pk, legal_basis="consent",
                      purpose="police_report", consent=Consent.objects.get().reference)
    assert response.status_code == 400 and list(response.json()) == ["consent"]
    assert nothing_exported()


def test_it_refuses_the_override_without_the_permission_whatever_the_body_says(world, api, filed):
    made_before = made_events()
    response = export(api, world, filed, recipient=world.police.pk, legal_basis="consent",
                      purpose="police_report", override=True, override_reason="Haster",
                      override_permission=True, role="agency_admin", is_superuser=True,
                      permissions=["consent.override"])
    assert response.status_code == 403 and response.json()["detail"]
    denied = AuditEvent.objects.get(action="disclosure.override", outcome="denied")
    assert denied.actor == world.coordinator and denied.agency == world.child_welfare
    assert denied.changes["override"] is True and denied.changes["recipient"] == world.police.pk
    assert denied.child_id == filed.child_id
    assert nothing_exported() and made_events() == made_before


def test_it_lets_an_agency_admin_override_a_missing_consent_with_a_reason_flagged(world, api, filed):
    make_admin(world)
    no_reason = export(api, world, filed, recipient=world.police.pk, legal_basis="consent",
                       purpose="police_report", override=True)
    assert no_reason.status_code == 400 and list(no_reason.json()) == ["override_reason"]
    assert nothing_exported()
    response = export(api, world, filed, recipient=world.police.pk, legal_basis="consent",
                      purpose="police_report", override=True, override_reason="Fare for liv; foreldre nås ikke")
    assert response.status_code == 201, response.json()
    disclosure = Disclosure.objects.get(kind=Disclosure.Kind.EXPORT)
    assert disclosure.override is True and disclosure.consent is None
    assert disclosure.override_reason == "Fare for liv; foreldre nås ikke"
    assert response.json()["disclosure"]["override"] is True
    assert AuditEvent.objects.get(action="referral.exported").changes["override"] is True
    assert AuditEvent.objects.get(action="disclosure.made", target_id=str(disclosure.pk)).changes["override"]


@pytest.mark.parametrize("who", ["outsider", "liaison", "caseworker", "reporter", "auditor", "agency_admin"])
def test_it_answers_404_to_those_who_may_not_export_and_audits_it(world, api, filed, who):
    person = getattr(world, who)
    response = export(api, world, filed, user=person, override=True, override_reason="x")
    assert response.status_code == 404
    assert AuditEvent.objects.filter(action="referral.export", outcome="denied", actor=person,
                                     target_id=str(filed.pk)).count() == 1
    assert nothing_exported()


def test_it_answers_404_for_a_referral_that_does_not_exist(world, api):
    response = api(world.coordinator).post("/api/v1/referrals/NO-SUCH/exports/", body_for(world), format="json")
    assert response.status_code == 404
    assert AuditEvent.objects.filter(action="referral.export", outcome="denied", actor=world.coordinator).exists()


ALL_PARTS = ["identity", "categories_and_indicators", "narrative", "identifiers", "attachments", "notes"]


@pytest.mark.parametrize("scope, queries", [
    # the referral and the membership (access), the recipient and the basis (the body), the
    # membership (the service), savepoint, the referral locked, the disclosure and two audit
    # events; the parts: categories, indicators, addenda; release
    (["categories_and_indicators", "narrative"], 14),
    # and whether the sender received the identity, the child, the identifiers, the people of
    # concern, the notes
    (ALL_PARTS, 19),
])
def test_it_exports_in_a_fixed_number_of_queries(world, api, filed, django_assert_num_queries, scope, queries):
    from referrals import services

    for text in ("Første notat", "Andre notat"):  # the number of rows changes nothing
        services.note_add(actor=world.coordinator, referral=filed, text=text)
    with django_assert_num_queries(queries):
        response = export(api, world, filed, scope=scope)
    assert response.status_code == 201, response.json()
    assert list(response.json()["disclosed"]) == [part for part in ALL_PARTS if part in scope]


def test_it_shows_the_export_in_the_disclosure_log_and_its_csv(world, api, filed):
    assert export(api, world, filed).status_code == 201
    rows = api(world.auditor).get(f"/api/v1/referrals/{filed.reference}/disclosures/").json()
    assert [(r["kind"], r["recipient"]["id"]) for r in rows] == [
        ("routing", world.child_welfare.pk), ("export", world.outsider_child_welfare.pk)]
    response = api(world.coordinator).get(f"/api/v1/referrals/{filed.reference}/disclosures/export/")
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    with translation.override("nb"):
        kind = str(Disclosure.Kind.EXPORT.label)
    assert lines[2][1] == kind and lines[2][3] == world.outsider_child_welfare.name


# --- Web ------------------------------------------------------------------------------


def form_data(world, **overrides):
    return body_for(world, **{"override": "", **overrides})


def post_form(client, referral, data):
    return client.post(reverse("referrals:export-create", args=[referral.reference]),
                       {k: v for k, v in data.items() if v not in ("", None, False)})


def test_it_links_the_export_form_from_the_referral_page_for_coordinators_only(world, client, filed):
    url = reverse("referrals:export-create", args=[filed.reference])
    client.force_login(world.coordinator)
    assert url.encode() in client.get(reverse("referrals:detail", args=[filed.reference])).content
    form = client.get(url)
    assert form.status_code == 200
    for name in ("recipient", "purpose", "legal_basis", "consent", "scope", "override", "override_reason"):
        assert f'name="{name}"'.encode() in form.content
    assert f'value="{world.child_welfare.pk}"'.encode() not in form.content  # not to itself
    client.force_login(world.reporter)
    assert url.encode() not in client.get(reverse("referrals:detail", args=[filed.reference])).content
    assert client.get(url).status_code == 404
    assert AuditEvent.objects.filter(action="referral.export", outcome="denied", actor=world.reporter).exists()


def test_it_shows_the_form_again_with_field_errors_and_saves_nothing(world, client, filed):
    client.force_login(world.coordinator)
    response = post_form(client, filed, form_data(world, scope=[], purpose="gossip"))
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="export-form"' in page
    assert re.search(r'field-error">\s*<fieldset id="id_scope"', page)
    assert 'id="id_purpose_error"' in page
    assert nothing_exported()
    refused = post_form(client, filed, form_data(world, recipient=world.police.pk, legal_basis="consent",
                                                 purpose="police_report"))
    assert refused.status_code == 400 and 'id="id_consent_error"' in refused.content.decode()
    assert nothing_exported()


def test_it_refuses_the_override_to_a_coordinator_in_the_form(world, client, filed):
    client.force_login(world.coordinator)
    response = post_form(client, filed, form_data(world, recipient=world.police.pk, legal_basis="consent",
                                                  purpose="police_report", override="on",
                                                  override_reason="Haster"))
    assert response.status_code == 403 and 'class="error-summary"' in response.content.decode()
    assert AuditEvent.objects.filter(action="disclosure.override", outcome="denied").count() == 1
    assert nothing_exported()


def test_it_answers_a_valid_form_with_the_printable_export_document(world, client, filed):
    make_admin(world)
    client.force_login(world.coordinator)
    response = post_form(client, filed, form_data(world, recipient=world.police.pk, legal_basis="consent",
                                                  purpose="police_report", scope=["categories_and_indicators"],
                                                  override="on", override_reason="Fare for liv"))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    disclosure = Disclosure.objects.get(kind=Disclosure.Kind.EXPORT)
    assert disclosure.override and disclosure.scope == ["categories_and_indicators"]
    assert AuditEvent.objects.filter(action="referral.exported").count() == 1
    page = response.content.decode()
    assert f"<title>utlevering-{filed.reference}-{disclosure.pk}" in page
    assert 'id="export-document"' in page and "data-print" in page and "js/print.js" in page
    assert filed.reference in page and world.child_welfare.name in page and world.police.name in page
    assert disclosure.legal_basis.law_reference in page and "Fare for liv" in page
    assert world.coordinator.username in page or world.coordinator.get_full_name() in page
    assert 'id="export-override"' in page and "badge-overdue" in page
    for category in filed.categories.all():
        assert category.name in page
    # Only the chosen part: not the child's name, the concern or the identifiers.
    assert "Nordmann" not in page and filed.concern not in page and "jobb_fixer" not in page


def test_it_names_the_consent_in_the_printable_document(world, client, api, filed):
    assert api(world.coordinator).post("/api/v1/consents/", {
        "referral": filed.reference, "given_by": "guardian_1", "child_view": "agrees", "form": "oral",
        "recipients": [world.police.pk], "purposes": ["police_report"]}, format="json").status_code == 201
    consent = Consent.objects.get()
    client.force_login(world.coordinator)
    response = post_form(client, filed, form_data(world, recipient=world.police.pk, legal_basis="consent",
                                                  purpose="police_report", scope=["identity"],
                                                  consent=consent.reference))
    assert response.status_code == 200
    page = response.content.decode()
    assert re.search(rf'id="export-consent">\s*{consent.reference}', page)
    assert "Nordmann" in page  # identity was chosen this time
    assert Disclosure.objects.get(kind=Disclosure.Kind.EXPORT).consent == consent


def test_it_lists_the_export_in_the_disclosure_log_page(world, api, client, filed):
    assert export(api, world, filed).status_code == 201
    client.force_login(world.coordinator)
    page = client.get(reverse("referrals:disclosures", args=[filed.reference])).content.decode()
    with translation.override("nb"):
        kind = str(Disclosure.Kind.EXPORT.label)
    assert kind in page and world.outsider_child_welfare.name in page
