"""Consent in a real browser: the child welfare coordinator records a guardian's oral
consent, shares with the police by a handover relying on it, then records the withdrawal;
the police liaison, who could open the handover, loses access to it.

Selectors go by field name, id and value, not by translated text. Sign-in goes through the
shared login helper of this package.
"""

from datetime import date

from audit.models import AuditEvent
from referrals import services
from referrals.models import Consent, Disclosure, Handover
from tests.factories import PASSWORD

from .conftest import login, screenshot


def test_a_withdrawn_consent_ends_the_liaisons_access(browser_world, live_server, new_page):
    world = browser_world
    data = services.ReferralData(
        child=services.ChildData(given_name="Sara", family_name="Berg", date_of_birth=date(2013, 6, 1)),
        categories=("B",), concern="Har fått nye telefoner og kontanter.",
        guardians=(services.GuardianData(name="Mor Berg", informed=True),))
    referral = services.referral_file(actor=world.reporter, reporting_agency=world.school, data=data)

    # The coordinator records the guardian's oral consent to share with the police.
    coordinator = login(new_page(), live_server, world.coordinator.username, PASSWORD)
    coordinator.goto(f"{live_server.url}/referrals/{referral.reference}/")
    with coordinator.expect_navigation():
        coordinator.locator(f"a[href='/referrals/{referral.reference}/consents/']").click()
    form = coordinator.locator("#consent-form")
    form.locator("input[name=given_by][value=guardian_1]").check()
    form.locator("input[name=child_view][value=agrees]").check()
    form.locator("input[name=recipients][value='%d']" % world.police.pk).check()
    form.locator("input[name=purposes][value=concern_conversation]").check()
    form.locator("input[name=form][value=oral]").check()
    with coordinator.expect_navigation():
        form.locator("button[type=submit]").click()
    consent = Consent.objects.get(referral=referral)
    assert coordinator.locator(f"#consent-{consent.reference}").is_visible()
    assert consent.given_by == "guardian_1" and consent.form == "oral"

    # Shares with the police: a handover relying on the consent.
    coordinator.goto(f"{live_server.url}/referrals/{referral.reference}/handover/")
    form = coordinator.locator("#handover-form")
    form.locator("select[name=type]").select_option("concern_conversation")
    form.locator("select[name=receiving_agency]").select_option(str(world.police.pk))
    form.locator("select[name=legal_basis]").select_option("consent")
    form.locator("select[name=consent]").select_option(consent.reference)
    form.locator("input[name=scope][value=identity]").check()
    with coordinator.expect_navigation():
        form.locator("button[type=submit]").click()
    handover = Handover.objects.get(referral=referral)
    assert handover.consent == consent

    # The liaison can open it.
    liaison = login(new_page(), live_server, world.liaison.username, PASSWORD)
    liaison.goto(f"{live_server.url}/referrals/handovers/{handover.reference}/")
    assert "Sara" in liaison.locator("main").inner_text()

    # The guardian withdraws the consent; the coordinator records it.
    coordinator.goto(f"{live_server.url}/referrals/{referral.reference}/consents/")
    row = coordinator.locator(f"#consent-{consent.reference}")
    row.locator("select[name=withdrawn_by]").select_option("guardian_1")
    with coordinator.expect_navigation():
        row.locator("button[type=submit]").click()
    screenshot(coordinator, "consent-withdrawn")

    # The liaison has lost access: the handover answers 404, the inbox no longer lists it.
    response = liaison.goto(f"{live_server.url}/referrals/handovers/{handover.reference}/")
    assert response.status == 404 and "Sara" not in liaison.content()
    liaison.goto(f"{live_server.url}/referrals/handovers/?status=")
    assert handover.reference not in liaison.locator("main").inner_text()
    screenshot(liaison, "consent-access-ended")

    consent.refresh_from_db()
    handover.refresh_from_db()
    assert consent.withdrawn_by == "guardian_1" and consent.withdrawal_recorded_by == world.coordinator
    assert handover.access_ended_at is not None
    assert Disclosure.objects.get(handover=handover).consent == consent
    assert AuditEvent.objects.filter(action="handover.access_ended", target_id=str(handover.pk)).exists()


def test_a_consultation_without_identity_until_the_reporter_records_a_consent(browser_world, live_server,
                                                                              new_page):
    world = browser_world
    data = services.ReferralData(
        child=services.ChildData(given_name="Sara", family_name="Berg", date_of_birth=date(2013, 6, 1)),
        categories=("B",), concern="Snakker om oppdrag, poeng og rangering.",
        guardians=(services.GuardianData(name="Mor Berg", informed=True),))
    referral = services.referral_file(actor=world.reporter, reporting_agency=world.school, data=data)

    # Child welfare sees the concern, not who the child is.
    coordinator = login(new_page(), live_server, world.coordinator.username, PASSWORD)
    coordinator.goto(f"{live_server.url}/referrals/{referral.reference}/")
    main = coordinator.locator("main").inner_text()
    assert coordinator.locator("#withheld-title").is_visible()
    assert "oppdrag, poeng" in main and "Sara" not in main and "Mor Berg" not in main
    screenshot(coordinator, "consultation-without-identity")

    # The reporter, who knows the family, records the guardian's oral consent on the page.
    reporter = login(new_page(), live_server, world.reporter.username, PASSWORD)
    reporter.goto(f"{live_server.url}/referrals/{referral.reference}/")
    form = reporter.locator("#reporter-consent-form")
    form.locator("input[name=given_by][value=guardian_1]").check()
    form.locator("input[name=form][value=oral]").check()
    form.locator("input[name=child_view][value=agrees]").check()
    with reporter.expect_navigation():
        form.locator("button[type=submit]").click()
    assert reporter.locator("#reporter-consent-form").count() == 0
    consent = Consent.objects.get(referral=referral)
    assert consent.recorded_by == world.reporter and consent.purposes == ["routing"]

    # Now child welfare sees who the child is.
    coordinator.goto(f"{live_server.url}/referrals/{referral.reference}/")
    assert coordinator.locator("#withheld-title").count() == 0
    assert "Sara Berg" in coordinator.locator("main").inner_text()
    assert Disclosure.objects.filter(referral=referral, consent=consent, scope=["identity"]).count() == 3
