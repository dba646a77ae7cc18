"""Break the glass: time-limited access to a referral outside one's scope, with a reason;
granted at once, flagged and audited, told to the owning agency and the auditors, ending
by itself; no oracle for references."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from agencies.models import Membership
from audit.models import AuditEvent
from referrals.models import BreakGlassGrant, Notification, Referral, ReferralUserObjectPermission
from referrals.services import break_glass_expire
from referrals import notifications
from referrals.tasks import expire_break_glass
from tests.factories import MembershipFactory

REASON = "The child was brought to our emergency unit tonight by the police."


@pytest.fixture
def filed(world, api, referral_payload):
    response = api(world.reporter).post("/api/v1/referrals/", referral_payload, format="json")
    assert response.status_code == 201
    return Referral.objects.get(reference=response.json()["reference"])


@pytest.fixture
def outsider_auditor(world):
    return MembershipFactory(user__username="bergen_auditor", agency=world.outsider_child_welfare,
                             role=Membership.Role.AUDITOR).user


def break_glass(api, user, **body):
    return api(user).post("/api/v1/break-glass/", body, format="json")


def perms(user, referral):
    return ReferralUserObjectPermission.objects.filter(user=user, content_object=referral,
                                                       permission__codename="break_glass_referral")


def test_it_grants_at_once_flags_audits_and_notifies(world, api, filed, outsider_auditor,
                                                     django_capture_on_commit_callbacks):
    assert api(world.outsider).get(f"/api/v1/referrals/{filed.reference}/").status_code == 404
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = break_glass(api, world.outsider, reference=filed.reference.lower(), reason=REASON, hours=4)

    assert response.status_code == 201
    grant = BreakGlassGrant.objects.get()
    assert (grant.referral, grant.user, grant.agency, grant.role, grant.reason, grant.hours) == (
        filed, world.outsider, world.outsider_child_welfare, "coordinator", REASON, 4)
    assert grant.expires_at - grant.granted_at == timedelta(hours=4) and grant.revoked_at is None
    assert response.json() == {"reference": filed.reference,
                               "expires_at": response.json()["expires_at"]}
    assert perms(world.outsider, filed).count() == 1
    event = AuditEvent.objects.get(action="referral.break_glass")
    assert (event.actor, event.agency, event.role, event.outcome, event.target_id, event.child_id,
            event.legal_basis) == (world.outsider, world.outsider_child_welfare, "coordinator", "ok",
                                   str(filed.pk), filed.child_id, "break_glass")
    assert event.changes["flag"] == "break_glass" and event.changes["reason"] == REASON
    assert event.changes["hours"] == 4 and event.changes["grant"] == grant.pk
    # The owning agency's coordinators and auditor, and the requester's own auditors.
    rows = Notification.objects.filter(event="referral.break_glass")
    assert set(rows.values_list("recipient__username", flat=True)) == {
        "coordinator", "coordinator2", "auditor", "bergen_auditor"}
    assert all(r.referral_id == filed.pk and r.agency_id == world.outsider_child_welfare.pk for r in rows)
    assert sorted(c.args[0] for c in callbacks if c.func == notifications.enqueue_delivery) == sorted(
        rows.values_list("pk", flat=True))

    detail = api(world.outsider).get(f"/api/v1/referrals/{filed.reference}/")
    assert detail.status_code == 200
    read = AuditEvent.objects.filter(action="referral.read", actor=world.outsider).latest("id")
    assert (read.outcome, read.legal_basis, read.agency) == ("ok", "break_glass", world.outsider_child_welfare)


def test_it_answers_a_missing_reference_exactly_like_an_existing_one(world, api, filed):
    hit = break_glass(api, world.outsider, reference=filed.reference, reason=REASON, hours=2)
    miss = break_glass(api, world.outsider, reference="SV-NOSUCH00", reason=REASON, hours=2)

    assert hit.status_code == miss.status_code == 201
    assert set(hit.json()) == set(miss.json()) and miss.json()["reference"] == "SV-NOSUCH00"
    assert BreakGlassGrant.objects.count() == 1
    flagged = AuditEvent.objects.get(action="referral.break_glass", outcome="denied")
    assert flagged.changes["flag"] == "break_glass" and flagged.changes["reference"] == "SV-NOSUCH00"
    assert flagged.actor == world.outsider and flagged.target_id == ""
    assert not Notification.objects.filter(event="referral.break_glass", referral=None).exists()


def test_it_treats_a_draft_as_missing(world, api, referral_payload):
    draft = api(world.reporter).post("/api/v1/referrals/", {**referral_payload, "submit": False}, format="json")
    referral = Referral.objects.get(reference=draft.json()["reference"])
    assert referral.status == Referral.Status.DRAFT

    response = break_glass(api, world.outsider, reference=referral.reference, reason=REASON, hours=2)

    assert response.status_code == 201
    assert not BreakGlassGrant.objects.exists() and not perms(world.outsider, referral).exists()


@pytest.mark.parametrize("body,field", [
    ({"reason": REASON, "hours": 4}, "reference"),
    ({"reference": "SV-X", "reason": "Because.", "hours": 4}, "reason"),
    ({"reference": "SV-X", "reason": REASON, "hours": 0}, "hours"),
    ({"reference": "SV-X", "reason": REASON, "hours": 25}, "hours"),
    ({"reference": "SV-X", "reason": REASON, "hours": "many"}, "hours"),
])
def test_it_rejects_bad_input_and_changes_nothing(world, api, filed, body, field):
    response = break_glass(api, world.outsider, **body)

    assert response.status_code == 400 and field in response.json()
    assert not BreakGlassGrant.objects.exists()
    assert not AuditEvent.objects.filter(action="referral.break_glass").exists()


def test_it_refuses_roles_that_may_not_break_the_glass_and_audits_it(world, api, filed):
    for person in (world.outsider_reporter, world.auditor, world.agency_admin):
        response = break_glass(api, person, reference=filed.reference, reason=REASON, hours=4)
        assert response.status_code == 403
        refused = AuditEvent.objects.get(action="referral.break_glass", actor=person)
        assert refused.outcome == "denied" and refused.changes == {
            "reference": filed.reference, "flag": "break_glass", "refused": "role"}
    assert not BreakGlassGrant.objects.exists() and not perms(world.outsider_reporter, filed).exists()


def test_it_limits_requests_per_day_counting_misses(world, api, filed):
    for n in range(5):
        assert break_glass(api, world.outsider, reference=f"SV-MISS000{n}", reason=REASON, hours=1).status_code == 201

    response = break_glass(api, world.outsider, reference=filed.reference, reason=REASON, hours=1)

    assert response.status_code == 409
    assert not BreakGlassGrant.objects.exists() and not perms(world.outsider, filed).exists()
    refused = AuditEvent.objects.filter(action="referral.break_glass").latest("id")
    assert refused.outcome == "denied" and refused.changes["refused"] == "daily_limit"


def test_it_ends_by_itself_and_the_task_removes_the_permission(world, api, filed):
    break_glass(api, world.outsider, reference=filed.reference, reason=REASON, hours=1)
    grant = BreakGlassGrant.objects.get()
    assert api(world.outsider).get(f"/api/v1/referrals/{filed.reference}/").status_code == 200

    BreakGlassGrant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    # Access ends at expires_at, before the task has run.
    assert perms(world.outsider, filed).exists()
    assert api(world.outsider).get(f"/api/v1/referrals/{filed.reference}/").status_code == 404
    assert expire_break_glass() == 1  # the beat task, run in-process
    assert break_glass_expire() == 0  # nothing left to do

    grant.refresh_from_db()
    assert grant.revoked_at is not None and not perms(world.outsider, filed).exists()
    event = AuditEvent.objects.get(action="referral.break_glass_expired")
    assert (event.actor, event.actor_username, event.target_id, event.child_id, event.legal_basis) == (
        None, "outsider", str(filed.pk), filed.child_id, "break_glass")
    assert event.changes["flag"] == "break_glass" and event.changes["permission_removed"] is True


def test_it_keeps_the_permission_while_a_later_grant_runs(world, api, filed):
    break_glass(api, world.outsider, reference=filed.reference, reason=REASON, hours=1)
    break_glass(api, world.outsider, reference=filed.reference, reason=REASON, hours=8)
    first = BreakGlassGrant.objects.order_by("hours").first()
    BreakGlassGrant.objects.filter(pk=first.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert break_glass_expire() == 1

    assert perms(world.outsider, filed).exists()
    assert api(world.outsider).get(f"/api/v1/referrals/{filed.reference}/").status_code == 200


def test_it_ends_access_when_the_role_is_revoked(world, api, filed):
    break_glass(api, world.outsider, reference=filed.reference, reason=REASON, hours=4)
    Membership.objects.filter(user=world.outsider).update(is_active=False)

    assert api(world.outsider).get(f"/api/v1/referrals/{filed.reference}/").status_code == 404


def test_it_gives_read_only_access(world, api, filed):
    break_glass(api, world.outsider, reference=filed.reference, reason=REASON, hours=4)

    response = api(world.outsider).post(f"/api/v1/referrals/{filed.reference}/decisions/",
                                        {"kind": "open_investigation"}, format="json")

    assert response.status_code == 403
    filed.refresh_from_db()
    assert filed.status == "submitted" and not filed.decisions.exists()


def test_it_breaks_the_glass_through_the_page(world, client, filed, signed_in):
    signed_in(client, world.outsider)
    page = client.get(reverse("referrals:break-glass"))
    assert page.status_code == 200 and b'name="reason"' in page.content

    invalid = client.post(reverse("referrals:break-glass"), {"reference": filed.reference, "reason": "x",
                                                             "hours": "4"})
    assert invalid.status_code == 400 and not BreakGlassGrant.objects.exists()

    response = client.post(reverse("referrals:break-glass"),
                           {"reference": filed.reference, "reason": REASON, "hours": "4"}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("referrals:detail", args=[filed.reference])
    assert response.status_code == 200
    assert "nødtilgang".encode() in response.content  # the banner, in bokmål
    assert b'name="kind"' not in response.content  # no decision form: read only
    assert BreakGlassGrant.objects.filter(user=world.outsider, referral=filed).exists()


def test_it_refuses_the_page_to_reporters(world, client, signed_in):
    signed_in(client, world.outsider_reporter)
    assert client.get(reverse("referrals:break-glass")).status_code == 403
    assert AuditEvent.objects.get(action="referral.break_glass", actor=world.outsider_reporter).outcome == "denied"


def test_it_reads_under_a_grant_in_a_fixed_number_of_queries(world, api, filed, django_assert_num_queries):
    break_glass(api, world.outsider, reference=filed.reference, reason=REASON, hours=4)
    client = api(world.outsider)

    # 18 since the detail lists the referral's handovers too.
    with django_assert_num_queries(18):
        assert client.get(f"/api/v1/referrals/{filed.reference}/").status_code == 200
