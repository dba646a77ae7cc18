"""The thin path through the web pages, signed in with the session like a person."""

from django.urls import reverse

from audit.models import AuditEvent
from referrals.models import Notification, Referral
from tests.factories import PASSWORD


def sign_in(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def form_data(world, **overrides):
    data = {
        "reporting_agency": world.school.pk, "given_name": "Kari", "family_name": "Nordmann",
        "date_of_birth": "2011-03-02", "estimated_age": "", "municipality": "", "categories": ["F"],
        "duty_triggers": ["serious_neglect"], "concern": "Talks about <b>oppdrag</b> and points.",
        "action": "submit",
    }
    for prefix in ("guardians", "people", "identifiers"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    data.update(overrides)
    return data


def test_it_files_a_referral_through_the_form_and_shows_the_receipt(world, client):
    sign_in(client, world.reporter)
    page = client.get(reverse("referrals:create") + "?danger=no")
    assert page.status_code == 200 and b'name="concern"' in page.content

    response = client.post(reverse("referrals:create"), form_data(world), follow=True)

    referral = Referral.objects.get()
    assert response.redirect_chain[-1][0] == reverse("referrals:detail", args=[referral.reference])
    assert referral.reference.encode() in response.content
    assert b"Kvittering" in response.content  # bokmål by default
    # HTML in free text is shown as text, never run.
    assert b"&lt;b&gt;oppdrag&lt;/b&gt;" in response.content and b"<b>oppdrag</b>" not in response.content
    assert Notification.objects.filter(referral=referral).count() == 2
    assert list(AuditEvent.objects.exclude(action__startswith="auth.").values_list("action", flat=True)) == [
        "referral.submitted", "deadline.opened", "deadline.opened", "referral.routed", "disclosure.made", "referral.read",
    ]


def test_it_shows_form_errors_in_bokmal_and_saves_nothing(world, client):
    sign_in(client, world.reporter)
    response = client.post(reverse("referrals:create"), form_data(world, concern="", date_of_birth="2011-13-45"))
    assert response.status_code == 200
    assert "Oppgi en gyldig dato" in response.content.decode()
    assert Referral.objects.count() == 0


def test_it_shows_service_errors_on_the_right_field(world, client):
    sign_in(client, world.reporter)
    response = client.post(reverse("referrals:create"), form_data(world, date_of_birth="2999-01-01"))
    assert response.status_code == 200
    assert response.context["form"].errors["date_of_birth"]
    assert Referral.objects.count() == 0


def test_it_shows_the_form_in_english_when_asked(world, client):
    sign_in(client, world.reporter)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = client.get(reverse("referrals:create") + "?danger=no")
    assert b"File a concern" in response.content and b'lang="en"' in response.content


def test_it_lists_the_referral_in_the_coordinators_queue_and_opens_it(world, client):
    sign_in(client, world.reporter)
    client.post(reverse("referrals:create"), form_data(world))
    referral = Referral.objects.get()
    client.logout()

    sign_in(client, world.coordinator)
    queue = client.get(reverse("referrals:queue"))
    assert queue.status_code == 200 and referral.reference.encode() in queue.content
    detail = client.get(reverse("referrals:detail", args=[referral.reference]))
    assert detail.status_code == 200 and b"Kari Nordmann" in detail.content
    read = AuditEvent.objects.filter(action="referral.read", actor=world.coordinator).get()
    assert read.agency == world.child_welfare and read.child_id == referral.child_id


def test_it_answers_the_outsider_404_and_audits_it(world, client):
    sign_in(client, world.reporter)
    client.post(reverse("referrals:create"), form_data(world))
    referral = Referral.objects.get()
    client.logout()

    sign_in(client, world.outsider)
    response = client.get(reverse("referrals:detail", args=[referral.reference]))
    assert response.status_code == 404
    assert b"Kari" not in response.content
    assert AuditEvent.objects.filter(action="referral.read", actor=world.outsider, outcome="denied",
                                     target_id=str(referral.pk)).count() == 1
    assert client.get(reverse("referrals:queue")).status_code == 200


def test_it_gives_a_reporter_no_queue(world, client):
    sign_in(client, world.reporter)
    assert client.get(reverse("referrals:queue")).status_code == 404


def test_it_sends_anonymous_visitors_to_sign_in(db, client):
    response = client.get(reverse("referrals:create"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_it_shows_delivered_notifications_in_the_inbox_and_marks_them_read(world, client):
    sign_in(client, world.reporter)
    client.post(reverse("referrals:create"), form_data(world))
    referral = Referral.objects.get()
    notification = Notification.objects.get(recipient=world.coordinator)
    # deliver as the worker would
    from referrals.tasks import deliver_notification
    deliver_notification(notification.pk)
    client.logout()

    sign_in(client, world.coordinator)
    inbox = client.get(reverse("inbox"))
    assert referral.reference.encode() in inbox.content
    assert inbox.context["unread_notifications"] == 1
    response = client.post(reverse("notification-read", args=[notification.pk]))
    assert response.status_code == 302
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert client.get(reverse("inbox")).context["unread_notifications"] == 0


def test_it_does_not_let_a_user_mark_someone_elses_notification(world, client):
    sign_in(client, world.reporter)
    client.post(reverse("referrals:create"), form_data(world))
    notification = Notification.objects.get(recipient=world.coordinator)
    response = client.post(reverse("notification-read", args=[notification.pk]))
    assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None
