"""The thin path in a real browser: a teacher files a concern and gets a receipt, the child
welfare coordinator finds it in the queue and opens it, an outsider gets nothing.

Selectors go by field name, id and role, not by translated text, so that the test does
not depend on the language catalogue.
"""

import re

from audit.models import AuditEvent
from referrals.models import Referral
from tests.factories import PASSWORD

from .conftest import login, screenshot

REFERENCE = re.compile(r"SV-[0-9A-Z]{8}")


def test_a_concern_goes_from_the_teacher_to_the_coordinator_and_not_to_an_outsider(
    browser_world, live_server, new_page,
):
    world = browser_world

    # The teacher files the concern through the form.
    teacher = login(new_page(), live_server, world.reporter.username, PASSWORD)
    teacher.goto(f"{live_server.url}/referrals/new/")
    # First the form asks whether the child is in immediate danger; this one is not.
    with teacher.expect_navigation():
        teacher.locator("a[href='?danger=no']").click()
    form = teacher.locator("form", has=teacher.locator("textarea[name=concern]"))
    agency = form.locator("select[name=reporting_agency]")
    assert agency.locator("option").all_inner_texts() == ["Fjell skole"]
    form.locator("input[name=given_name]").fill("Kari")
    form.locator("input[name=family_name]").fill("Nordmann")
    form.locator("input[name=date_of_birth]").fill("2011-03-02")  # <input type=date>: ISO
    form.locator("input[name=estimated_age]").fill("")
    # Category B, recruitment to violence for hire: two of its signs, the platforms, and
    # the recruiter's username.
    form.locator("input[name=indicators][value=B-moved-platform]").check()
    form.locator("input[name=indicators][value=B-jobs-talk]").check()
    form.locator("input[name=platforms][value=snapchat]").check()
    form.locator("input[name=platforms][value=telegram]").check()
    form.locator("select[name=identifiers-0-kind]").select_option("username")
    form.locator("select[name=identifiers-0-platform]").select_option("telegram")
    form.locator("input[name=identifiers-0-value]").fill("@oppdrag_bossen")
    form.locator("textarea[name=concern]").fill("Talks about <b>oppdrag</b> and new phones.")
    # Below the duty to report: Kari (15) consents to sharing, so the agencies see who she is.
    form.locator("input[name=consent_given_by][value=child]").check()
    form.locator("input[name=consent_form][value=oral]").check()
    form.locator("input[name=consent_child_view][value=agrees]").check()
    screenshot(teacher, "1-referral-form")
    with teacher.expect_navigation():
        form.locator("button[name=action][value=submit]").click()

    receipt = teacher.locator("section[aria-labelledby=receipt-title]")
    assert receipt.is_visible(), teacher.inner_text("main")
    assert receipt.locator("#receipt-title").inner_text() in {"Kvittering", "Receipt"}
    match = REFERENCE.search(receipt.inner_text())
    assert match, receipt.inner_text()
    reference = match.group()
    assert teacher.url == f"{live_server.url}/referrals/{reference}/"
    assert reference in teacher.get_by_role("status").inner_text()  # the success message
    # Free text is shown as text, never run as HTML.
    assert "<b>oppdrag</b>" in teacher.locator(".concern-text").inner_text()
    assert teacher.locator(".concern-text b").count() == 0
    screenshot(teacher, "2-receipt")

    referral = Referral.objects.select_related("child").get(reference=reference)
    assert referral.reporter == world.reporter and referral.reporting_agency == world.school
    assert (referral.child.given_name, referral.child.family_name) == ("Kari", "Nordmann")
    assert list(referral.categories.values_list("code", flat=True)) == ["B"]
    assert set(referral.indicators.values_list("code", flat=True)) == {"B-moved-platform", "B-jobs-talk"}
    assert list(referral.identifiers.values_list("normalized", flat=True)) == ["oppdrag_bossen"]
    assert referral.consents.get().given_by == "child"
    assert not referral.routings.filter(identity_withheld=True).exists()
    # Routed, with reasons shown, to child welfare, the police liaison and SLT.
    routed_to = teacher.locator("section[aria-labelledby=routing-title]").inner_text()
    for agency in (world.child_welfare, world.police, world.slt):
        assert agency.name in routed_to

    # The coordinator, in another browser context, finds it in the queue and opens it.
    coordinator = login(new_page(), live_server, world.coordinator.username, PASSWORD)
    coordinator.goto(f"{live_server.url}/referrals/queue/")
    row = coordinator.locator("table tbody tr", has=coordinator.get_by_role("link", name=reference))
    assert row.count() == 1
    assert "Kari Nordmann" in row.inner_text()
    with coordinator.expect_navigation():
        row.get_by_role("link", name=reference).click()
    assert coordinator.url == f"{live_server.url}/referrals/{reference}/"
    child = coordinator.locator("section[aria-labelledby=child-title]")
    assert "Kari Nordmann" in child.inner_text()
    assert coordinator.locator("section[aria-labelledby=receipt-title]").count() == 0

    read = AuditEvent.objects.get(action="referral.read", actor=world.coordinator)
    assert read.outcome == AuditEvent.Outcome.OK
    assert read.agency == world.child_welfare and read.child_id == referral.child_id

    # Someone in another municipality gets a plain 404, and the attempt is on record.
    outsider = login(new_page(), live_server, world.outsider.username, PASSWORD)
    response = outsider.goto(f"{live_server.url}/referrals/{reference}/")
    assert response.status == 404
    body = outsider.locator("body").inner_text()
    assert "Kari" not in body and "Nordmann" not in body
    denied = AuditEvent.objects.get(action="referral.read", actor=world.outsider)
    assert denied.outcome == AuditEvent.Outcome.DENIED and denied.child_id == referral.child_id
