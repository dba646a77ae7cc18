"""Triage in a real browser: the child welfare coordinator works the queue (badges, counts,
a filter), opens a referral, assigns a caseworker, fails to dismiss without a justification,
dismisses with one, and the referral leaves the queue.

Selectors go by field name, id and CSS class, not by translated text. Where a text must
be checked (a message, a status), it is compared with what the code says in the UI's
default language, so the test does not depend on the state of the catalogue.
"""

from datetime import date, timedelta

from django.utils import timezone, translation

from agencies.models import User
from audit.models import AuditEvent
from referrals import services
from referrals.models import Assignment, Deadline, Decision, Referral, Routing, StatutoryClock
from tests.factories import PASSWORD

from .conftest import BROWSER_LOCALE, login, screenshot

JUSTIFICATION = "Samtale med foreldrene og skolen: maten er ordnet, ingen grunn til undersøkelse."


def _in_ui_language(text) -> str:
    """A lazy or literal message as the browser sees it (Accept-Language nb-NO)."""
    with translation.override(BROWSER_LOCALE.split("-")[0]):
        return str(translation.gettext(text) if isinstance(text, str) else text)


def _file(world, given_name: str, born: date, concern: str) -> Referral:
    data = services.ReferralData(
        child=services.ChildData(given_name=given_name, family_name="Hansen", date_of_birth=born),
        categories=("F",), duty_triggers=("serious_neglect",), concern=concern)
    return services.referral_file(actor=world.reporter, reporting_agency=world.school, data=data)


def _make_overdue(referral: Referral) -> None:
    """As if the referral had been received long ago: its review deadline, and the queue's
    copy of it, lie in the past."""
    past = timezone.now() - timedelta(days=1)
    Deadline.objects.filter(referral=referral, kind=StatutoryClock.Code.REVIEW).update(due_at=past)
    Routing.objects.filter(referral=referral, is_open=True).update(due_at=past)


def test_the_coordinator_assigns_and_dismisses_from_the_queue(browser_world, live_server, new_page):
    world = browser_world
    on_time = _file(world, "Nora", date(2012, 4, 1), "Kommer sulten til skolen.")
    overdue = _file(world, "Emil", date(2013, 9, 9), "Har ofte ikke mat med seg, og klær som ikke passer.")
    _make_overdue(overdue)

    coordinator = login(new_page(), live_server, world.coordinator.username, PASSWORD)
    page = coordinator
    queue_url = f"{live_server.url}/referrals/queue/"

    def row_of(referral):
        return page.locator("table tbody tr", has=page.get_by_role("link", name=referral.reference, exact=True))

    def count_of(href_part: str) -> str:
        return page.locator(f".count-list a[href*='{href_part}'] strong").inner_text().strip()

    # The queue: both rows, each with its deadline badge; the counts above.
    page.goto(queue_url)
    assert row_of(on_time).count() == 1 and row_of(overdue).count() == 1, page.inner_text("main")
    assert row_of(on_time).locator(".badge-on_time").count() == 1
    assert row_of(overdue).locator(".badge-overdue").count() == 1
    # Most urgent and nearest deadline first.
    first_row_link = page.locator("table tbody tr").first.get_by_role("link").first
    assert first_row_link.inner_text() == overdue.reference
    assert page.locator(".count-list li").first.locator("strong").inner_text() == "2"
    assert count_of("deadline=overdue") == "1"
    assert count_of("deadline=due_soon") == "0"
    assert count_of("caseworker=none") == "2"
    screenshot(page, "triage-1-queue")

    # Filters: nobody is assigned yet, so "unassigned" keeps both; "overdue" keeps one.
    filters = page.locator("form.filters")
    filters.locator("select[name=caseworker]").select_option("none")
    with page.expect_navigation():
        filters.locator("button[type=submit]").click()
    assert "caseworker=none" in page.url
    assert page.locator("form.filters select[name=caseworker]").input_value() == "none"
    assert page.locator("table tbody tr").count() == 2
    filters.locator("select[name=deadline]").select_option("overdue")
    with page.expect_navigation():
        filters.locator("button[type=submit]").click()
    assert page.locator("table tbody tr").count() == 1
    assert row_of(overdue).count() == 1 and row_of(on_time).count() == 0
    assert count_of("caseworker=none") == "2"  # the counts are for the whole queue

    # Open the overdue referral from the queue.
    with page.expect_navigation():
        row_of(overdue).get_by_role("link", name=overdue.reference, exact=True).click()
    assert page.url == f"{live_server.url}/referrals/{overdue.reference}/"
    assert page.locator("#decision-form").is_visible() and page.locator("#assign-form").is_visible()
    assert page.locator(".status-submitted").count() == 1
    screenshot(page, "triage-2-detail")

    # Assign the caseworker.
    assign = page.locator("#assign-form")
    assign.locator("select[name=caseworker]").select_option(str(world.caseworker.pk))
    with page.expect_navigation():
        assign.locator("button[type=submit]").click()
    assert page.locator(".messages .message-success").count() == 1, page.inner_text("main")
    assert page.locator(".messages .message-success").inner_text() == _in_ui_language(
        "The caseworker is assigned.")
    assert world.caseworker.username in page.locator(".status-line").inner_text()
    assert page.locator("#assign-form select[name=caseworker]").input_value() == str(world.caseworker.pk)

    # In the queue, filtered by that caseworker, only this referral is left, shown as hers.
    page.goto(queue_url)
    assert count_of("caseworker=none") == "1"
    filters = page.locator("form.filters")
    filters.locator("select[name=caseworker]").select_option(str(world.caseworker.pk))
    with page.expect_navigation():
        filters.locator("button[type=submit]").click()
    assert page.locator("table tbody tr").count() == 1 and row_of(overdue).count() == 1
    assert world.caseworker.username in row_of(overdue).locator("td").nth(6).inner_text()
    with page.expect_navigation():
        row_of(overdue).get_by_role("link", name=overdue.reference, exact=True).click()

    # Dismissing without a justification is refused, and nothing changes.
    decision = page.locator("#decision-form")
    decision.locator("select[name=kind]").select_option(Decision.Kind.DISMISS)
    decision.locator("textarea[name=justification]").fill("   ")
    with page.expect_navigation():
        decision.locator("button[type=submit]").click()
    error = page.locator(".messages .message-error")
    assert error.count() == 1, page.inner_text("main")
    assert error.inner_text() == _in_ui_language("Write the justification: the law requires it.")
    assert page.locator(".messages .message-success").count() == 0
    assert page.locator(".status-submitted").count() == 1
    assert not Decision.objects.filter(referral=overdue).exists()
    assert Referral.objects.get(pk=overdue.pk).status == Referral.Status.SUBMITTED
    screenshot(page, "triage-3-refused")

    # With a justification, the dismissal is recorded.
    decision = page.locator("#decision-form")
    decision.locator("select[name=kind]").select_option(Decision.Kind.DISMISS)
    decision.locator("textarea[name=justification]").fill(JUSTIFICATION)
    with page.expect_navigation():
        decision.locator("button[type=submit]").click()
    assert page.locator(".messages .message-error").count() == 0, page.inner_text("main")
    assert page.locator(".messages .message-success").inner_text() == _in_ui_language(
        "The decision is recorded.")
    status = page.locator(".status-line .status")
    assert "status-dismissed" in status.get_attribute("class")
    assert status.inner_text() == _in_ui_language(Referral.Status.DISMISSED.label)
    assert JUSTIFICATION in page.locator("section.triage").inner_text()
    # No decision can follow a dismissal, so the form is gone; feedback to the reporter stays.
    assert page.locator("#decision-form").count() == 0
    assert page.locator("#feedback-form").is_visible() and page.locator("#assign-form").is_visible()
    screenshot(page, "triage-4-dismissed")

    # The chronology shows what happened.
    with page.expect_navigation():
        page.locator(".status-line a[href$='/chronology/']").click()
    assert page.url == f"{live_server.url}/referrals/{overdue.reference}/chronology/"
    assert page.locator("ol.chronology li").count() >= 3
    screenshot(page, "triage-5-chronology")

    # Back in the queue, the dismissed referral is gone; the other one stays.
    page.goto(queue_url)
    assert row_of(overdue).count() == 0
    assert row_of(on_time).count() == 1
    assert page.locator(".count-list li").first.locator("strong").inner_text() == "1"
    assert count_of("deadline=overdue") == "0"

    # The database agrees.
    referral = Referral.objects.get(pk=overdue.pk)
    assert referral.status == Referral.Status.DISMISSED
    assert referral.caseworker == world.caseworker
    recorded = Decision.objects.get(referral=referral)
    assert recorded.kind == Decision.Kind.DISMISS and recorded.justification == JUSTIFICATION
    assert recorded.decided_by == world.coordinator and recorded.agency == world.child_welfare
    assignment = Assignment.objects.get(referral=referral)
    assert assignment.caseworker == world.caseworker and assignment.assigned_by == world.coordinator
    assert assignment.ended_at is None
    # A fresh user object: guardian caches permissions per instance.
    caseworker = User.objects.get(pk=world.caseworker.pk)
    assert caseworker.has_perm("referrals.work_on_referral", referral)
    assert not caseworker.has_perm("referrals.work_on_referral", Referral.objects.get(pk=on_time.pk))
    assert not Routing.objects.filter(referral=referral, agency=world.child_welfare, is_open=True).exists()
    assert Referral.objects.get(pk=on_time.pk).status == Referral.Status.SUBMITTED

    assigned = AuditEvent.objects.get(action="referral.assigned", target_id=str(referral.pk))
    assert assigned.actor == world.coordinator and assigned.agency == world.child_welfare
    assert assigned.changes["caseworker"] == world.caseworker.pk
    decided = AuditEvent.objects.get(action="referral.decided", target_id=str(referral.pk))
    assert decided.actor == world.coordinator and decided.outcome == AuditEvent.Outcome.OK
    assert decided.changes["decision"] == Decision.Kind.DISMISS
    assert (decided.changes["before"], decided.changes["after"]) == (
        Referral.Status.SUBMITTED, Referral.Status.DISMISSED)
    assert decided.child_id == referral.child_id
