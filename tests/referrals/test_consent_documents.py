"""A consent's document: uploaded with the consent or later, checked by its first bytes,
kept in private storage under a random name with its SHA-256, downloaded only by those
with access to the consent (the read audited), refused with nothing saved."""

import hashlib
import json
import stat
import struct
import zlib

import pytest
from django.core.files.uploadedfile import InMemoryUploadedFile, SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditEvent
from referrals import services
from referrals.documents import DOCUMENT_MAX_BYTES, OversizedUpload
from referrals.models import Consent, Referral
from tests.factories import PASSWORD

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def png() -> bytes:
    """A real 1x1 PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


# A file name that names the child: it must stay out of the storage name and the audit trail.
CLIENT_NAME = "samtykke Ola Nordmann.pdf"


def upload(content: bytes = PDF, name: str = CLIENT_NAME, content_type: str = "application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def sign_in(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def private_dir(settings, tmp_path):
    location = tmp_path / "private"
    storage = settings.STORAGES["consent_documents"]
    settings.STORAGES = {**settings.STORAGES,
                         "consent_documents": {**storage, "OPTIONS": {**storage["OPTIONS"], "location": location}}}
    return location


def stored_files(location) -> list:
    return [path for path in location.rglob("*") if path.is_file()] if location.exists() else []


@pytest.fixture
def filed(world, api, referral_payload, private_dir):
    payload = {**referral_payload, "duty_triggers": [],
               "guardians": [{"name": "Mor", "informed": True}, {"name": "Far", "informed": True}]}
    response = api(world.reporter).post("/api/v1/referrals/", payload, format="json")
    return Referral.objects.get(reference=response.json()["reference"])


def consent_data(world, **overrides):
    return {"given_by": "guardian_1", "child_view": "agrees", "guardians_view": "not_asked",
            "recipients": [world.police.pk], "purposes": ["concern_conversation"], "form": "written", **overrides}


def record_consent(world, filed, document=None) -> Consent:
    return services.consent_record(
        actor=world.coordinator, referral=filed, given_by="guardian_1", child_view="agrees",
        recipients=[world.police], purposes=["concern_conversation"], form="written", document=document)


def test_it_records_a_written_consent_with_its_pdf_in_private_storage_under_a_random_name(
        world, client, filed, private_dir):
    sign_in(client, world.coordinator)
    response = client.post(reverse("referrals:consents", args=[filed.reference]),
                           consent_data(world, document=upload()), follow=True)

    assert response.status_code == 200
    consent = Consent.objects.get()
    assert consent.document_sha256 == hashlib.sha256(PDF).hexdigest()
    assert consent.document_type == "application/pdf" and consent.document_name == CLIENT_NAME
    assert consent.document.name.startswith("consents/") and consent.document.name.endswith(".pdf")
    assert "Nordmann" not in consent.document.name and "samtykke" not in consent.document.name
    [path] = stored_files(private_dir)
    assert path == private_dir / consent.document.name and path.read_bytes() == PDF
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    event = AuditEvent.objects.get(action="consent.recorded")
    assert event.changes["document"] is True
    assert event.changes["document_sha256"] == consent.document_sha256
    assert "Nordmann" not in json.dumps(event.changes)
    assert reverse("referrals:consent-document", args=[consent.reference]).encode() in response.content


def test_it_records_a_written_consent_without_a_document(world, client, filed, private_dir):
    sign_in(client, world.coordinator)
    response = client.post(reverse("referrals:consents", args=[filed.reference]), consent_data(world))

    assert response.status_code == 302
    consent = Consent.objects.get()
    assert not consent.document and consent.document_sha256 == "" and not consent.has_document
    assert AuditEvent.objects.get(action="consent.recorded").changes["document"] is False
    assert stored_files(private_dir) == []


def test_it_takes_the_kind_from_the_first_bytes_not_the_name_or_content_type(world, api, filed):
    consent = record_consent(world, filed, upload(png(), name="scan.pdf", content_type="application/pdf"))

    assert consent.document_type == "image/png" and consent.document.name.endswith(".png")
    response = api(world.coordinator).get(f"/api/v1/consents/{consent.reference}/document/")
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == f'attachment; filename="{consent.reference}.png"'


def test_it_serves_the_document_to_the_coordinator_and_audits_the_read_once(
        world, client, filed, django_assert_num_queries):
    consent = record_consent(world, filed, upload())
    sign_in(client, world.coordinator)
    url = reverse("referrals:consent-document", args=[consent.reference])

    # session, user, the second factor, consent and referral, membership, savepoint, audit, release
    with django_assert_num_queries(8):
        response = client.get(url)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{consent.reference}.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff" and response["Cache-Control"] == "no-store"
    [event] = AuditEvent.objects.filter(action="consent.document_read")
    assert event.actor == world.coordinator and event.outcome == "ok" and event.child_id == filed.child_id
    assert event.changes["reference"] == consent.reference


def test_it_answers_404_to_anyone_without_access_to_the_consent_and_audits_it(world, api, client, filed):
    consent = record_consent(world, filed, upload())
    web = reverse("referrals:consent-document", args=[consent.reference])
    api_url = f"/api/v1/consents/{consent.reference}/document/"

    for user in (world.outsider, world.liaison, world.reporter):
        sign_in(client, user)
        response = client.get(web)
        assert response.status_code == 404 and PDF not in response.content
        assert api(user).get(api_url).status_code == 404
        client.logout()
        assert AuditEvent.objects.filter(action="consent.document_read", actor=user, outcome="denied",
                                         child_id=filed.child_id).count() == 2
    assert not AuditEvent.objects.filter(action="consent.document_read", outcome="ok").exists()


def test_it_answers_404_for_a_consent_without_a_document(world, api, filed):
    consent = record_consent(world, filed)

    assert api(world.coordinator).get(f"/api/v1/consents/{consent.reference}/document/").status_code == 404
    assert not AuditEvent.objects.filter(action="consent.document_read").exists()


@pytest.mark.parametrize("content", [
    pytest.param(b"<!DOCTYPE html><html><script>alert(1)</script></html>", id="html"),
    pytest.param(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64, id="exe"),
    pytest.param(b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', id="svg"),
    pytest.param(b"  %PDF-1.4 but not at the start", id="pdf-later"),
])
def test_it_refuses_a_file_renamed_pdf_and_saves_nothing(world, client, filed, private_dir, content):
    sign_in(client, world.coordinator)
    response = client.post(reverse("referrals:consents", args=[filed.reference]),
                           consent_data(world, document=upload(content, name="samtykke.pdf")))

    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["document"]
    assert not Consent.objects.exists() and stored_files(private_dir) == []
    assert not AuditEvent.objects.filter(action="consent.recorded").exists()


@pytest.mark.parametrize("content", [
    pytest.param(b"", id="empty"),
    pytest.param(PDF + b"\x00" * (DOCUMENT_MAX_BYTES - len(PDF) + 1), id="one-byte-too-large"),
])
def test_it_refuses_an_empty_or_too_large_file_and_saves_nothing(world, client, filed, private_dir, content):
    sign_in(client, world.coordinator)
    response = client.post(reverse("referrals:consents", args=[filed.reference]),
                           consent_data(world, document=upload(content)))

    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["document"]
    assert not Consent.objects.exists() and stored_files(private_dir) == []


def test_it_takes_a_file_of_exactly_the_largest_size(world, filed, private_dir):
    consent = record_consent(world, filed, upload(PDF + b"\x00" * (DOCUMENT_MAX_BYTES - len(PDF))))

    assert consent.document.size == DOCUMENT_MAX_BYTES


def test_it_reports_the_document_error_with_the_other_field_errors(world, client, filed, private_dir):
    sign_in(client, world.coordinator)
    response = client.post(reverse("referrals:consents", args=[filed.reference]),
                           consent_data(world, given_by="child", document=upload(b"<html>")))

    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"given_by", "document"}
    assert not Consent.objects.exists() and stored_files(private_dir) == []


def test_it_removes_the_stored_file_when_the_consent_is_not_saved(world, filed, private_dir, monkeypatch):
    def failing_record(**kwargs):
        raise RuntimeError("the audit trail is down")

    monkeypatch.setattr("referrals.services.consent.record", failing_record)
    with pytest.raises(RuntimeError):
        record_consent(world, filed, upload())

    assert not Consent.objects.exists() and stored_files(private_dir) == []


def test_it_keeps_only_the_file_name_without_folders_for_display(world, filed):
    consent = record_consent(world, filed, upload(name="C:\\Users\\mor\\" + "x" * 200 + ".pdf"))

    assert consent.document_name == "x" * 116 + ".pdf"


def test_it_gives_a_private_document_no_url(world, filed):
    consent = record_consent(world, filed, upload())

    with pytest.raises(ValueError):
        consent.document.url


def test_it_shows_the_document_in_the_api_with_an_absolute_download_url(world, api, filed):
    with_document = record_consent(world, filed, upload())
    without = record_consent(world, filed)

    response = api(world.coordinator).get(f"/api/v1/consents/?referral={filed.reference}")

    assert response.status_code == 200
    rows = {row["reference"]: row for row in response.json()}
    row = rows[with_document.reference]
    assert row["has_document"] is True and row["document_type"] == "application/pdf"
    assert row["document_sha256"] == hashlib.sha256(PDF).hexdigest()
    assert row["document_url"] == f"http://testserver/api/v1/consents/{with_document.reference}/document/"
    assert "document_name" not in row
    assert rows[without.reference]["has_document"] is False and rows[without.reference]["document_url"] is None
    download = api(world.coordinator).get(row["document_url"], HTTP_ACCEPT="application/pdf")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert AuditEvent.objects.filter(action="consent.document_read", outcome="ok").count() == 1


def test_it_attaches_a_document_to_a_consent_later_and_audits_it(world, client, filed, private_dir):
    consent = record_consent(world, filed)
    sign_in(client, world.coordinator)
    url = reverse("referrals:consent-document-attach", args=[consent.reference])

    response = client.post(url, {"document": upload(png(), name="scan.png", content_type="image/png")})

    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.document_type == "image/png" and consent.document_sha256 == hashlib.sha256(png()).hexdigest()
    event = AuditEvent.objects.get(action="consent.document_attached")
    assert event.child_id == filed.child_id and event.changes["document_sha256"] == consent.document_sha256

    again = client.post(url, {"document": upload()}, follow=True)
    assert again.status_code == 200
    consent.refresh_from_db()
    assert consent.document_type == "image/png" and len(stored_files(private_dir)) == 1
    assert AuditEvent.objects.filter(action="consent.document_attached").count() == 1


def test_it_attaches_no_document_to_a_withdrawn_consent(world, filed, private_dir):
    from config.exceptions import ConflictError

    consent = services.consent_withdraw(actor=world.coordinator, consent=record_consent(world, filed),
                                        withdrawn_by="guardian_1")
    with pytest.raises(ConflictError):
        services.consent_attach_document(actor=world.coordinator, consent=consent, document=upload())

    consent.refresh_from_db()
    assert not consent.document and stored_files(private_dir) == []


def test_it_refuses_attaching_to_others_and_audits_it(world, client, filed, private_dir):
    consent = record_consent(world, filed)
    for user in (world.outsider, world.liaison, world.reporter):
        sign_in(client, user)
        response = client.post(reverse("referrals:consent-document-attach", args=[consent.reference]),
                               {"document": upload()})
        assert response.status_code == 404
        client.logout()
    consent.refresh_from_db()
    assert not consent.document and stored_files(private_dir) == []
    assert AuditEvent.objects.filter(action="consent.document_attach", outcome="denied").count() == 3


def test_it_holds_an_upload_in_memory_and_keeps_none_of_one_too_large(world, client, filed, monkeypatch):
    seen = []
    real = services.consent_attach_document
    monkeypatch.setattr(services, "consent_attach_document",
                        lambda **kwargs: (seen.append(kwargs["document"]), real(**kwargs))[1])
    consent = record_consent(world, filed)
    sign_in(client, world.coordinator)
    url = reverse("referrals:consent-document-attach", args=[consent.reference])
    document = PDF + b"\x00" * (DOCUMENT_MAX_BYTES - len(PDF))

    client.post(url, {"document": upload(document + b"\x00" * DOCUMENT_MAX_BYTES)})
    client.post(url, {"document": upload(document)})

    too_large, taken = seen
    assert isinstance(too_large, OversizedUpload) and too_large.size == 2 * DOCUMENT_MAX_BYTES
    assert type(taken) is InMemoryUploadedFile and taken.size == DOCUMENT_MAX_BYTES
    consent.refresh_from_db()
    assert consent.document_sha256 == hashlib.sha256(document).hexdigest()


def test_it_refuses_more_than_one_file_in_a_request(world, client, filed, private_dir):
    sign_in(client, world.coordinator)
    response = client.post(reverse("referrals:consents", args=[filed.reference]),
                           consent_data(world, document=[upload(), upload(png(), name="b.png")]))

    assert response.status_code == 400
    assert not Consent.objects.exists() and stored_files(private_dir) == []


def test_it_offers_a_download_or_the_attach_form_on_the_consents_page(world, client, filed):
    with_document = record_consent(world, filed, upload())
    written = record_consent(world, filed)
    oral = services.consent_record(actor=world.coordinator, referral=filed, given_by="guardian_1",
                                   child_view="agrees", recipients=[world.police],
                                   purposes=["concern_conversation"], form="oral")
    sign_in(client, world.coordinator)

    page = client.get(reverse("referrals:consents", args=[filed.reference])).content.decode()

    assert 'enctype="multipart/form-data" class="form" id="consent-form"' in page
    assert reverse("referrals:consent-document", args=[with_document.reference]) in page
    assert CLIENT_NAME in page
    attach = [reverse("referrals:consent-document-attach", args=[c.reference]) for c in (with_document, written, oral)]
    assert [url in page for url in attach] == [False, True, False]
