"""Filing through the web form: the immediate-danger path, drafts, formsets, errors."""

import re

from django.urls import reverse

from referrals.models import Referral
from tests.factories import PASSWORD


def sign_in(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def form(world, **overrides):
    data = {
        "reporting_agency": world.school.pk, "given_name": "Kari", "family_name": "Nordmann",
        "date_of_birth": "2011-03-02", "indicators": ["B-jobs-talk", "B-sent-id"],
        "platforms": ["snapchat"], "concern": "Talks about points and ranks.", "action": "submit",
        "guardians-TOTAL_FORMS": "2", "guardians-INITIAL_FORMS": "0",
        "guardians-0-name": "Mor Nordmann", "guardians-0-informed": "no",
        "guardians-0-not_informed_reason": "Could put the child at risk.",
        "guardians-1-name": "", "people-TOTAL_FORMS": "2", "people-INITIAL_FORMS": "0",
        "people-0-role": "recruiter", "people-0-name": "Kongen",
        "identifiers-TOTAL_FORMS": "3", "identifiers-INITIAL_FORMS": "0",
        "identifiers-0-kind": "username", "identifiers-0-platform": "snapchat", "identifiers-0-value": "kongen99",
    }
    data.update(overrides)
    return data


def test_it_asks_about_immediate_danger_first(world, client):
    world.emergency.phone = "+47 999 99 999"
    world.emergency.save()
    sign_in(client, world.reporter)
    question = client.get(reverse("referrals:create"))
    assert b"?danger=yes" in question.content and b'name="concern"' not in question.content

    danger = client.get(reverse("referrals:create") + "?danger=yes")
    html = danger.content.decode()
    assert "112" in html and "+47 999 99 999" in html
    assert re.search(r'<input type="checkbox" name="emergency_called"[^>]*checked', html)
    assert re.search(r'<input type="checkbox" name="categories" value="A"[^>]*checked', html)
    assert not re.search(r'<input type="checkbox" name="categories" value="B"[^>]*checked', html)


def test_it_files_immediate_danger_as_p0_with_the_call_recorded(world, client):
    sign_in(client, world.reporter)
    data = form(world, indicators=["A-weapon"], emergency_called="on", emergency_called_at="")
    response = client.post(reverse("referrals:create"), data)
    referral = Referral.objects.get()
    assert response.status_code == 302
    assert referral.urgency == "P0" and referral.emergency_called and referral.emergency_called_at
    assert {r.agency for r in referral.routings.all()} == {world.police, world.emergency}


def test_it_files_a_category_b_concern_with_guardians_people_and_identifiers(world, client):
    sign_in(client, world.reporter)
    response = client.post(reverse("referrals:create"), form(world), follow=True)
    referral = Referral.objects.get()
    assert response.redirect_chain[-1][0] == reverse("referrals:detail", args=[referral.reference])
    assert list(referral.guardians.values_list("name", "informed")) == [("Mor Nordmann", False)]
    assert list(referral.people_of_concern.values_list("role", "name")) == [("recruiter", "Kongen")]
    assert list(referral.identifiers.values_list("normalized", flat=True)) == ["kongen99"]
    assert "Kvittering" in response.content.decode()


def test_it_puts_service_errors_on_the_guardian_row(world, client):
    sign_in(client, world.reporter)
    response = client.post(reverse("referrals:create"), form(world, **{"guardians-0-not_informed_reason": ""}))
    assert response.status_code == 200
    row = response.context["group"].guardians.forms[0]
    assert row.errors["not_informed_reason"]
    assert Referral.objects.count() == 0


def test_it_saves_a_draft_and_submits_it_later(world, client):
    sign_in(client, world.reporter)
    response = client.post(reverse("referrals:create"), form(world, action="draft", concern=""))
    referral = Referral.objects.get()
    assert referral.is_draft and response["Location"] == reverse("referrals:edit", args=[referral.reference])

    edit = client.get(reverse("referrals:edit", args=[referral.reference]))
    assert edit.status_code == 200 and b"Kongen" in edit.content and b"kongen99" in edit.content

    missing = client.post(reverse("referrals:edit", args=[referral.reference]),
                          form(world, **{"guardians-INITIAL_FORMS": "0"}, concern=""))
    assert missing.status_code == 200 and missing.context["form"].errors["concern"]
    referral.refresh_from_db()
    assert referral.is_draft

    done = client.post(reverse("referrals:edit", args=[referral.reference]), form(world))
    referral.refresh_from_db()
    assert done.status_code == 302 and not referral.is_draft and referral.routings.exists()
    # after submission the edit page sends the reporter to the referral instead
    assert client.get(reverse("referrals:edit", args=[referral.reference])).status_code == 302


def test_it_does_not_let_others_edit_a_draft(world, client):
    sign_in(client, world.reporter)
    client.post(reverse("referrals:create"), form(world, action="draft"))
    referral = Referral.objects.get()
    client.logout()
    sign_in(client, world.outsider_reporter)
    assert client.get(reverse("referrals:edit", args=[referral.reference])).status_code == 404


def test_it_takes_an_addendum_from_the_reporter(world, client):
    sign_in(client, world.reporter)
    client.post(reverse("referrals:create"), form(world))
    referral = Referral.objects.get()
    response = client.post(reverse("referrals:addendum", args=[referral.reference]), {"text": "More news."},
                           follow=True)
    assert referral.addenda.get().text == "More news."
    assert "More news." in response.content.decode()


def test_it_shows_the_coordinator_why_and_the_reporter_no_matches(world, client):
    sign_in(client, world.reporter)
    # Below the duty to report: with the child's consent (she is 15) child welfare sees who she is.
    consented = form(world, consent_given_by="child", consent_form="oral", consent_child_view="agrees")
    client.post(reverse("referrals:create"), consented)
    client.post(reverse("referrals:create"), consented)  # the same child again
    second = Referral.objects.order_by("pk").last()
    reporter_page = client.get(reverse("referrals:detail", args=[second.reference])).content.decode()
    client.logout()
    sign_in(client, world.coordinator)
    coordinator_page = client.get(reverse("referrals:detail", args=[second.reference])).content.decode()
    assert "Mulig samme barn" in coordinator_page or "Possibly the same child" in coordinator_page
    assert "Mulig samme barn" not in reporter_page and "Possibly the same child" not in reporter_page
