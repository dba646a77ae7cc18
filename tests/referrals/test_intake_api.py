"""Filing through the API: drafts, submission, addenda, the child's identity, matches,
identifier links, and bad input."""

from datetime import date

import pytest

from audit.models import AuditEvent
from referrals import identity
from referrals.models import Child, ChildMatch, Referral
from tests.factories import national_id

BORN = date(2012, 5, 17)


def payload(**overrides):
    body = {
        "child": {"given_name": "Bjørn", "family_name": "Ødegård", "date_of_birth": BORN.isoformat()},
        "indicators": ["B-jobs-talk", "B-moved-platform"],
        "duty_triggers": ["serious_behaviour"],
        "platforms": ["snapchat", "telegram"],
        "concern": "Says he gets «oppdrag» on Telegram.",
        "observed_on": "2026-11-20",
        "observed_where": "Schoolyard",
        "guardians": [{"name": "Mor Ødegård", "informed": True},
                      {"name": "Far Ødegård", "informed": False, "not_informed_reason": "He may be involved."}],
        "people": [{"role": "recruiter", "name": "Big K", "description": "Older, drives a black car"}],
        "identifiers": [{"kind": "username", "platform": "telegram", "value": "@BigK_jobs"}],
    }
    body.update(overrides)
    return body


def post(api, user, body):
    return api(user).post("/api/v1/referrals/", body, format="json")


def test_it_files_a_complete_concern_and_returns_the_receipt(world, api):
    response = post(api, world.reporter, payload())
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "submitted" and body["reference"].startswith("SV-")
    assert body["categories"] == ["B"] and body["is_mandatory"] is True
    assert body["urgency"] == "P1"
    assert [g["informed"] for g in body["guardians"]] == [True, False]
    assert body["people"][0]["role"] == "recruiter"
    assert body["identifiers"] == [{"kind": "username", "platform": "telegram", "value": "@BigK_jobs"}]
    assert "match_suggestions" not in body  # reporters never see matches


def test_it_saves_a_draft_then_edits_and_submits_it(world, api):
    draft = post(api, world.reporter, {"child": {"given_name": "Ola"}, "submit": False})
    assert draft.status_code == 201 and draft.json()["status"] == "draft"
    reference = draft.json()["reference"]
    assert draft.json()["routings"] == []
    assert api(world.coordinator).get("/api/v1/referrals/").json()["results"] == []

    incomplete = api(world.reporter).post(f"/api/v1/referrals/{reference}/submit/")
    assert incomplete.status_code == 400
    assert set(incomplete.json()) == {"categories", "concern", "child"}

    edited = api(world.reporter).put(f"/api/v1/referrals/{reference}/", payload(), format="json")
    assert edited.status_code == 200 and edited.json()["status"] == "draft"
    submitted = api(world.reporter).post(f"/api/v1/referrals/{reference}/submit/")
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    assert {r["agency"]["id"] for r in submitted.json()["routings"]} == {
        world.child_welfare.pk, world.police.pk, world.slt.pk}
    assert list(AuditEvent.objects.filter(target_type="referrals.referral").values_list("action", flat=True)
                .order_by("id")) == ["referral.draft_created", "referral.draft_updated", "referral.read",
                                     "referral.submitted", "referral.read"]


def test_it_refuses_to_edit_or_resubmit_after_submission(world, api):
    reference = post(api, world.reporter, payload()).json()["reference"]
    edit = api(world.reporter).put(f"/api/v1/referrals/{reference}/", payload(concern="changed"), format="json")
    again = api(world.reporter).post(f"/api/v1/referrals/{reference}/submit/")
    assert edit.status_code == 409 and again.status_code == 409
    assert "addendum" in edit.json()["detail"].lower() or "tillegg" in edit.json()["detail"].lower()
    assert Referral.objects.get().concern == "Says he gets «oppdrag» on Telegram."


def test_it_lets_the_reporter_add_an_addendum_and_tells_the_agencies(world, api):
    reference = post(api, world.reporter, payload()).json()["reference"]
    response = api(world.reporter).post(f"/api/v1/referrals/{reference}/addenda/",
                                        {"text": "He was absent today."}, format="json")
    assert response.status_code == 201
    referral = Referral.objects.get()
    assert referral.addenda.get().text == "He was absent today."
    assert referral.notifications.filter(event="referral.addendum").count() == 4  # 2 cw + police + slt
    other = api(world.coordinator).post(f"/api/v1/referrals/{reference}/addenda/", {"text": "x"}, format="json")
    assert other.status_code == 403


def test_it_stores_the_national_id_encrypted_and_never_returns_it(world, api):
    number = national_id(BORN)
    response = post(api, world.reporter, payload(child={"given_name": "Ola", "national_id": number}))
    assert response.status_code == 201, response.json()
    assert number not in response.content.decode()
    child = Child.objects.get()
    assert child.date_of_birth == BORN  # read from the number
    assert number not in child.national_id_encrypted and identity.decrypt_national_id(
        child.national_id_encrypted) == number
    assert child.national_id_digest == identity.national_id_digest(number)
    detail = api(world.coordinator).get(f"/api/v1/referrals/{response.json()['reference']}/")
    assert number not in detail.content.decode() and detail.json()["child"]["has_national_id"] is True
    assert number not in str(list(AuditEvent.objects.values_list("changes", flat=True)))


@pytest.mark.parametrize("bad", ["12345678901", "1705121234", "abcdefghijk"])
def test_it_rejects_an_invalid_national_id_and_saves_nothing(world, api, bad):
    response = post(api, world.reporter, payload(child={"given_name": "Ola", "national_id": bad}))
    assert response.status_code == 400
    assert response.json()["child"]["national_id"]
    assert Referral.objects.count() == 0 and Child.objects.count() == 0


def test_it_rejects_a_birth_date_that_contradicts_the_national_id(world, api):
    body = payload(child={"given_name": "Ola", "national_id": national_id(BORN), "date_of_birth": "2012-05-18"})
    response = post(api, world.reporter, body)
    assert response.status_code == 400 and list(response.json()["child"]) == ["date_of_birth"]


def test_it_accepts_an_age_uncertain_child_without_any_identity(world, api):
    body = payload(child={"age_uncertain": True, "estimated_age": 15, "unaccompanied_minor": True},
                   indicators=["E-left-reception"], duty_triggers=["trafficking"])
    response = post(api, world.reporter, body)
    assert response.status_code == 201, response.json()
    assert {r["agency"]["kind"] for r in response.json()["routings"]} == {
        "child_welfare", "police", "immigration"}


@pytest.mark.parametrize("field, value, where", [
    ("observed_on", "2999-01-01", ("observed_on",)),
    ("guardians", [{"name": "A", "informed": False}], ("guardians", "0", "not_informed_reason")),
    ("guardians", [{"name": "A", "informed": True}] * 3, ("guardians",)),
    ("identifiers", [{"kind": "phone", "value": "   "}], ("identifiers",)),
    ("indicators", ["no-such-indicator"], ("indicators",)),
    ("child", {"given_name": "Ola", "estimated_age": -1}, ("child", "estimated_age")),
    ("child", {"given_name": "Ola", "date_of_birth": "1990-01-01"}, ("child", "date_of_birth")),
    ("concern", "x" * 10_001, ("concern",)),
])
def test_it_rejects_bad_input_with_a_field_message_and_saves_nothing(world, api, field, value, where):
    response = post(api, world.reporter, payload(**{field: value}))
    assert response.status_code == 400
    node = response.json()
    for key in where:
        node = node[key]
    assert node
    assert Referral.objects.count() == 0 and AuditEvent.objects.count() == 0


def test_it_keeps_html_and_script_as_text(world, api, client):
    body = payload(concern="<script>alert(1)</script>", observed_where="<img src=x onerror=alert(1)>")
    reference = post(api, world.reporter, body).json()["reference"]
    assert Referral.objects.get().concern == "<script>alert(1)</script>"
    client.force_login(world.coordinator)
    html = client.get(f"/referrals/{reference}/").content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html


def test_it_suggests_matches_to_coordinators_only(world, api):
    first = post(api, world.reporter, payload()).json()["reference"]
    transliterated = payload(child={"given_name": "Oedegaard", "family_name": "Bjoern",
                                    "date_of_birth": BORN.isoformat()})
    second = post(api, world.reporter, transliterated).json()["reference"]

    match = ChildMatch.objects.get()
    assert match.referral.reference == second and match.method == "name_dob"
    coordinator_view = api(world.coordinator).get(f"/api/v1/referrals/{second}/").json()
    assert coordinator_view["match_suggestions"][0]["references"] == [first]
    assert AuditEvent.objects.filter(action="child.match_viewed", child_id=match.candidate_id).exists()
    reporter_view = api(world.reporter).get(f"/api/v1/referrals/{second}/").json()
    assert "match_suggestions" not in reporter_view


def test_it_matches_by_national_id_even_when_the_names_differ(world, api):
    number = national_id(BORN)
    post(api, world.reporter, payload(child={"given_name": "Ola", "national_id": number}))
    post(api, world.reporter, payload(child={"given_name": "Someone", "family_name": "Else",
                                             "national_id": number}))
    assert ChildMatch.objects.get().method == "national_id"


def test_it_does_not_match_a_different_birth_date(world, api):
    post(api, world.reporter, payload())
    post(api, world.reporter, payload(child={"given_name": "Bjørn", "family_name": "Ødegård",
                                             "date_of_birth": "2012-05-18"}))
    assert ChildMatch.objects.count() == 0


def test_it_shows_a_shared_identifier_as_a_link_without_leaking_content(world, api):
    # The first (recruitment) goes to child welfare, police and SLT; the second (neglect,
    # another child) to child welfare only, with the same recruiter's username.
    first = post(api, world.reporter, payload()).json()["reference"]
    second_body = payload(child={"given_name": "Per", "date_of_birth": "2011-01-01"}, indicators=[],
                          categories=["F"], duty_triggers=["serious_neglect"],
                          identifiers=[{"kind": "username", "platform": "telegram", "value": "bigk_JOBS"}])
    second = post(api, world.reporter, second_body).json()["reference"]

    child_welfare_view = api(world.coordinator).get(f"/api/v1/referrals/{first}/").json()
    assert child_welfare_view["identifier_links"] == [
        {"kind": "username", "value": "@BigK_jobs", "visible": True, "reference": second}]
    police_view = api(world.liaison).get(f"/api/v1/referrals/{first}/").json()
    assert police_view["identifier_links"] == [
        {"kind": "username", "value": "@BigK_jobs", "visible": False, "reference": None}]
    assert "Per" not in str(police_view)


def test_it_lists_the_taxonomy_for_clients(world, api):
    body = api(world.reporter).get("/api/v1/taxonomy/").json()
    assert [c["code"] for c in body["categories"]] == ["A", "B", "C", "D", "E", "F"]
    assert {t["code"] for t in body["duty_triggers"]} == {
        "serious_neglect", "untreated_illness", "disabled_needs_unmet", "serious_behaviour", "trafficking"}
