"""The auditor in a real browser: finds a child by national ID number (typed into a POST
form, never in the address), reads the access report, prints it (print stylesheet: the
report only), follows it to the event search, and works through an anomaly.

Selectors go by field name, id, data attribute and CSS class, not by translated text."""

from datetime import date, timedelta

from django.utils import timezone

from audit import anomalies
from audit.models import Anomaly, AnomalyReview, AuditEvent
from referrals import services
from tests.factories import PASSWORD, national_id

from .conftest import login, screenshot


def test_it_takes_the_auditor_from_a_national_id_to_a_printed_report_and_a_reviewed_anomaly(
        browser_world, live_server, page, api):
    world = browser_world
    number = national_id(date(2012, 5, 17))
    data = services.ReferralData(
        child=services.ChildData(given_name="Ola", family_name="Hansen", date_of_birth=date(2012, 5, 17),
                                 national_id=number),
        categories=("F",), duty_triggers=("serious_neglect",), concern="Kommer sulten på skolen.")
    referral = services.referral_file(actor=world.reporter, reporting_agency=world.school, data=data)
    assert api(world.outsider).get(f"/api/v1/referrals/{referral.reference}/").status_code == 404
    anomalies.detect(hours=1, now=timezone.now() + timedelta(hours=1))
    denied = Anomaly.objects.get(kind="denied", actor=world.outsider)
    # The outsider is Bergen's: Drammen's auditor gets an anomaly of their own people.
    AuditEvent.objects.bulk_create([AuditEvent(action="referral.break_glass", actor=world.caseworker,
                                               actor_username="caseworker", agency=world.child_welfare,
                                               role="caseworker", child_id=referral.child_id)])
    anomalies.detect(hours=1, now=timezone.now() + timedelta(hours=1))
    glass = Anomaly.objects.get(kind="break_glass")

    page.add_init_script("window.__printed = 0; window.print = function () { window.__printed += 1; };")
    login(page, live_server, world.auditor.username, PASSWORD)
    page.goto(f"{live_server.url}/audit/events/")
    page.fill("#national-id", f"{number[:6]} {number[6:]}")
    with page.expect_navigation():
        page.click("form[action='/audit/children/find/'] button[type=submit]")
    assert page.url == f"{live_server.url}/audit/children/{referral.reference}/"
    assert number not in page.url and number not in page.content()

    rows = page.locator("table.report tbody tr")
    assert rows.count() == AuditEvent.objects.filter(child_id=referral.child_id).exclude(
        action="audit.report_read").count()
    assert page.locator("tr.access-denied").count() == 1
    assert "outsider" in page.locator("tr.access-denied").inner_text()
    screenshot(page, "auditor-report")

    page.click("[data-print]")
    assert page.evaluate("window.__printed") == 1
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    assert not page.locator("[data-print]").is_visible()
    assert page.locator("table.report").is_visible()
    page.emulate_media(media="screen")

    with page.expect_navigation():
        page.click(f"a[href='/audit/events/?child={referral.reference}']")
    assert page.locator("input[name=child]").input_value() == referral.reference
    assert page.locator("table.table tbody tr").count() >= rows.count()

    page.goto(f"{live_server.url}/audit/anomalies/")
    assert page.locator(f"form[action='/audit/anomalies/{denied.pk}/review/']").count() == 0  # Bergen's
    form = page.locator(f"form[action='/audit/anomalies/{glass.pk}/review/']")
    form.locator("textarea[name=note]").fill("Akutt sak natt til lørdag; avklart med leder.")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert page.locator(".message-success").count() == 1
    assert page.locator(f"form[action='/audit/anomalies/{glass.pk}/review/']").count() == 0
    review = AnomalyReview.objects.get(anomaly=glass)
    assert review.reviewed_by == world.auditor
    assert AuditEvent.objects.filter(action="audit.anomaly_reviewed", actor=world.auditor).count() == 1
    assert set(AuditEvent.objects.filter(actor=world.auditor).values_list("action", flat=True)) >= {
        "audit.child_lookup", "audit.report_read", "audit.search", "audit.anomalies_listed",
        "audit.anomaly_reviewed"}
