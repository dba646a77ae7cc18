"""Rotating the keys of national identity numbers at rest: manage.py rotate_national_ids."""

import secrets
from datetime import date

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from referrals import identity
from referrals.models import Child
from tests.factories import national_id

OLD_KEY, NEW_KEY = Fernet.generate_key().decode(), Fernet.generate_key().decode()


@pytest.fixture
def children(world, api, settings):
    settings.SAMVIRKE_ID_ENCRYPTION_KEYS = [OLD_KEY]
    numbers = [national_id(date(2012, 5, 17), 512 + 3 * i) for i in range(5)]
    for number in numbers:
        body = {"child": {"given_name": "Kari", "national_id": number}, "categories": ["F"],
                "duty_triggers": ["serious_neglect"], "concern": "Comes to school hungry."}
        assert api(world.reporter).post("/api/v1/referrals/", body).status_code == 201
    api(world.reporter).post("/api/v1/referrals/", {"child": {"given_name": "Uten"}, "categories": ["F"],
                                                    "duty_triggers": ["serious_neglect"], "concern": "x"})
    return numbers


def test_it_reencrypts_every_number_under_the_newest_key(children, settings, capsys):
    settings.SAMVIRKE_ID_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    before = dict(Child.objects.exclude(national_id_encrypted="").values_list("pk", "national_id_encrypted"))

    call_command("rotate_national_ids", "--batch-size", "2")

    assert "Re-encrypted 5 national identity numbers (0 keyed hashes recomputed)." in capsys.readouterr().out
    after = dict(Child.objects.exclude(national_id_encrypted="").values_list("pk", "national_id_encrypted"))
    assert after.keys() == before.keys() and len(after) == 5
    new_only = Fernet(NEW_KEY)
    assert sorted(new_only.decrypt(token.encode()).decode() for token in after.values()) == sorted(children)
    for token in after.values():
        with pytest.raises(InvalidToken):
            Fernet(OLD_KEY).decrypt(token.encode())
    # the old key can go now
    settings.SAMVIRKE_ID_ENCRYPTION_KEYS = [NEW_KEY]
    assert sorted(identity.decrypt_national_id(t) for t in after.values()) == sorted(children)
    event = AuditEvent.objects.get(action="identity.keys_rotated")
    assert event.changes == {"children": 5, "reencrypted": 5, "rehashed": 0}
    assert not any(number in str(event.changes) for number in children)


def test_it_recomputes_the_keyed_hash_after_the_hash_key_changed(children, settings, world, api):
    settings.SAMVIRKE_ID_HASH_KEY = secrets.token_urlsafe(48)

    call_command("rotate_national_ids")

    assert AuditEvent.objects.get(action="identity.keys_rotated").changes["rehashed"] == 5
    digests = set(Child.objects.exclude(national_id_digest="").values_list("national_id_digest", flat=True))
    assert digests == {identity.national_id_digest(number) for number in children}
    # a look-up by number works again under the new key
    found = api(world.auditor).post("/api/v1/audit/children/lookup/", {"national_id": children[0]})
    assert found.status_code == 200 and found.json()["references"]


def test_it_stops_and_changes_nothing_when_a_key_is_missing(children, settings):
    settings.SAMVIRKE_ID_ENCRYPTION_KEYS = [NEW_KEY]  # the old key removed too early
    before = list(Child.objects.order_by("pk").values_list("national_id_encrypted", "national_id_digest"))

    with pytest.raises(CommandError, match="could not be decrypted"):
        call_command("rotate_national_ids")

    assert list(Child.objects.order_by("pk").values_list("national_id_encrypted", "national_id_digest")) == before
    assert not AuditEvent.objects.filter(action="identity.keys_rotated").exists()
