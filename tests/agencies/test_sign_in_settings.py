"""An agency admin requires two-factor sign-in of the agency's reporters too."""

from django.urls import reverse

from agencies import two_factor
from audit.models import AuditEvent
from tests.factories import MembershipFactory


def test_it_lets_an_agency_admin_require_two_factors_of_reporters(world, client):
    school_admin = MembershipFactory(user__username="schooladmin", agency=world.school, role="agency_admin").user
    client.force_login(school_admin)
    url = reverse("agency-sign-in", args=[world.school.pk])
    assert client.get(url).status_code == 200

    response = client.post(url, {"require_two_factor_for_reporters": "on"})

    assert response.status_code == 302
    world.school.refresh_from_db()
    assert world.school.require_two_factor_for_reporters and two_factor.required_for(world.reporter)
    event = AuditEvent.objects.get(action="agency.two_factor_for_reporters")
    assert (event.actor, event.agency, event.role, event.changes) == (
        school_admin, world.school, "agency_admin", {"before": False, "after": True})
    client.post(url, {"require_two_factor_for_reporters": "on"})
    assert AuditEvent.objects.filter(action="agency.two_factor_for_reporters").count() == 1  # no change


def test_it_denies_other_agencies_and_other_roles_and_audits_it(world, client):
    for person, agency in ((world.agency_admin, world.school), (world.coordinator, world.child_welfare)):
        client.force_login(person)
        response = client.post(reverse("agency-sign-in", args=[agency.pk]), {"require_two_factor_for_reporters": "on"})
        assert response.status_code == 404
        denied = AuditEvent.objects.filter(actor=person, outcome="denied").get()
        assert (denied.action, denied.target_id) == ("agency.manage_sign_in", str(agency.pk))
    world.school.refresh_from_db()
    world.child_welfare.refresh_from_db()
    assert not world.school.require_two_factor_for_reporters
    assert not world.child_welfare.require_two_factor_for_reporters
