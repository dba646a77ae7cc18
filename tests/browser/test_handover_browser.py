"""Handover in a real browser: the child welfare coordinator hands a referral over to the
police from the referral page; the police liaison sees it in the handover inbox,
acknowledges it with the police case number and accepts it; the coordinator sees the
acknowledgement and the police reference on the referral page.

Selectors go by field name, id and value, not by translated text; where a text is checked
it is the code's own label in the UI's default language.
"""

from datetime import date

from django.utils import translation

from audit.models import AuditEvent
from referrals import services
from referrals.models import Handover
from tests.factories import PASSWORD

from .conftest import BROWSER_LOCALE, login, screenshot

POLICE_REFERENCE = "SØ-2026-4711"


def _in_ui_language(text) -> str:
    with translation.override(BROWSER_LOCALE.split("-")[0]):
        return str(text)


def test_the_liaison_acknowledges_and_accepts_and_the_coordinator_sees_it(browser_world, live_server, new_page):
    world = browser_world
    data = services.ReferralData(
        child=services.ChildData(given_name="Sara", family_name="Berg", date_of_birth=date(2011, 6, 1)),
        categories=("F",), duty_triggers=("serious_neglect",), concern="Har fått nye telefoner og kontanter.")
    referral = services.referral_file(actor=world.reporter, reporting_agency=world.school, data=data)

    # The coordinator hands the referral over to the police.
    coordinator = login(new_page(), live_server, world.coordinator.username, PASSWORD)
    coordinator.goto(f"{live_server.url}/referrals/{referral.reference}/")
    coordinator.locator(f"a[href='/referrals/{referral.reference}/handover/']").click()
    form = coordinator.locator("#handover-form")
    form.locator("select[name=type]").select_option("police_report")
    form.locator("select[name=receiving_agency]").select_option(str(world.police.pk))
    form.locator("select[name=legal_basis]").select_option("fvl-13b-6")
    form.locator("input[name=scope][value=identity]").check()
    form.locator("input[name=scope][value=narrative]").check()
    form.locator("select[name=urgency]").select_option("P1")
    with coordinator.expect_navigation():
        form.locator("button[type=submit]").click()
    handover = Handover.objects.get(referral=referral)
    assert coordinator.locator("#referral-handovers").get_by_role("link", name=handover.reference).is_visible()

    # The liaison finds it in the handover inbox, acknowledges with the police case number, accepts.
    liaison = login(new_page(), live_server, world.liaison.username, PASSWORD)
    liaison.goto(f"{live_server.url}/referrals/handovers/")
    with liaison.expect_navigation():
        liaison.locator("#handover-list").get_by_role("link", name=handover.reference).click()
    assert "Sara" in liaison.locator("main").inner_text()  # identity was disclosed
    liaison.locator("#acknowledge-form input[name=external_reference]").fill(POLICE_REFERENCE)
    with liaison.expect_navigation():
        liaison.locator("#acknowledge-form button[type=submit]").click()
    assert liaison.locator("#external-reference").inner_text().strip() == POLICE_REFERENCE
    with liaison.expect_navigation():
        liaison.locator("#accept-form button[type=submit]").click()
    assert liaison.locator("#handover-status").inner_text().strip() == _in_ui_language(Handover.Status.ACCEPTED.label)
    screenshot(liaison, "handover-accepted")

    # The coordinator sees the acknowledgement and the police reference.
    coordinator.reload()
    row = coordinator.locator("#referral-handovers tbody tr", has=coordinator.get_by_role("link", name=handover.reference))
    text = row.inner_text()
    assert POLICE_REFERENCE in text and _in_ui_language(Handover.Status.ACCEPTED.label) in text
    screenshot(coordinator, "handover-seen-by-sender")

    handover.refresh_from_db()
    assert handover.status == "accepted" and handover.external_reference == POLICE_REFERENCE
    assert handover.acknowledged_by == world.liaison and handover.answered_by == world.liaison
    assert list(AuditEvent.objects.filter(target_type="referrals.handover", outcome="ok")
                .exclude(action__in=["handover.read", "handover.listed"])
                .order_by("pk").values_list("action", flat=True)) == [
        "handover.created", "handover.acknowledged", "handover.accepted"]
