"""The Norwegian bokmål catalogue: complete, placeholders intact, compiled, and used by the pages."""

import re
from collections import Counter
from pathlib import Path

import polib
from django.conf import settings

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "nb" / "LC_MESSAGES"
PO_PATH = CATALOGUE / "django.po"
MO_PATH = CATALOGUE / "django.mo"

# %(name)s, %s, %d, %.2f ... ("%%" is a literal percent sign) and {name} / {} / {0}.
_PERCENT = re.compile(r"%(?:\((?P<name>[^)]*)\))?[#0 +\-]*\d*(?:\.\d+)?[sdifFeEgGxXocr]")
_BRACE = re.compile(r"(?<!\{)\{(?P<name>[A-Za-z_]\w*|\d*)\}(?!\})")


def placeholders(text: str) -> Counter:
    text = text.replace("%%", "")
    found = Counter(match.group(0) for match in _PERCENT.finditer(text))
    found.update(match.group(0) for match in _BRACE.finditer(text))
    return found


def untranslated(po: polib.POFile) -> list[str]:
    return [entry.msgid for entry in po if not entry.obsolete and not entry.translated()
            and "fuzzy" not in entry.flags]


def fuzzy(po: polib.POFile) -> list[str]:
    found = [entry.msgid for entry in po if not entry.obsolete and "fuzzy" in entry.flags]
    if po.metadata_is_fuzzy:
        found.append("(header)")
    return found


def placeholder_mismatches(po: polib.POFile) -> list[str]:
    problems = []
    for entry in po:
        if entry.obsolete:
            continue
        if entry.msgid_plural:
            pairs = [(entry.msgid if index == 0 else entry.msgid_plural, text)
                     for index, text in sorted(entry.msgstr_plural.items())]
        else:
            pairs = [(entry.msgid, entry.msgstr)]
        for source, translation in pairs:
            if translation and placeholders(source) != placeholders(translation):
                problems.append(f"{source!r} -> {translation!r}")
    return problems


def _key(entry) -> tuple:
    return (entry.msgctxt, entry.msgid, entry.msgid_plural or None)


def _value(entry):
    if entry.msgid_plural:
        return tuple(text for _, text in sorted(entry.msgstr_plural.items()))
    return entry.msgstr


def compiled_differences(po: polib.POFile, mo: polib.MOFile) -> list[str]:
    """What msgfmt would put in the .mo now, compared with what the .mo holds."""
    expected = {_key(e): _value(e) for e in po
                if e.msgid and not e.obsolete and "fuzzy" not in e.flags and e.translated()}
    actual = {_key(e): _value(e) for e in mo if e.msgid}
    problems = [f"missing from .mo: {key[1]!r}" for key in expected.keys() - actual.keys()]
    problems += [f"only in .mo: {key[1]!r}" for key in actual.keys() - expected.keys()]
    problems += [f"stale in .mo: {key[1]!r}: {actual[key]!r} != {expected[key]!r}"
                 for key in expected.keys() & actual.keys() if actual[key] != expected[key]]
    if mo.metadata.get("Plural-Forms") != po.metadata.get("Plural-Forms"):
        problems.append("Plural-Forms differ")
    return problems


# The committed catalogue


def test_it_has_a_bokmal_header():
    po = polib.pofile(str(PO_PATH))
    assert po.metadata["Language"] == "nb"
    assert po.metadata["Plural-Forms"] == "nplurals=2; plural=(n != 1);"
    assert po.metadata["Content-Type"] == "text/plain; charset=UTF-8"
    assert po.metadata["Project-Id-Version"].startswith("Samvirke")


def test_it_has_every_entry_translated():
    po = polib.pofile(str(PO_PATH))
    assert len(po) > 0
    assert untranslated(po) == []


def test_it_has_no_fuzzy_entries():
    assert fuzzy(polib.pofile(str(PO_PATH))) == []


def test_it_keeps_every_placeholder_in_the_translations():
    assert placeholder_mismatches(polib.pofile(str(PO_PATH))) == []


def test_it_has_a_compiled_catalogue_that_matches_the_po_file():
    assert MO_PATH.exists(), "run manage.py compilemessages --locale=nb and commit django.mo"
    assert compiled_differences(polib.pofile(str(PO_PATH)), polib.mofile(str(MO_PATH))) == []


def test_it_uses_the_agreed_key_words():
    translations = {e.msgid: e.msgstr for e in polib.pofile(str(PO_PATH)) if not e.msgid_plural}
    assert translations["Receipt"] == "Kvittering"
    assert translations["File a concern"] == "Send bekymringsmelding"
    assert translations["Sign in"] == "Logg inn"
    assert translations["Queue: %(agency)s"] == "Kø: %(agency)s"
    assert translations["Referral %(reference)s"] == "Melding %(reference)s"


# The checks themselves catch what they are meant to catch


def _catalogue(*entries: polib.POEntry) -> polib.POFile:
    po = polib.POFile()
    po.metadata = {"Plural-Forms": "nplurals=2; plural=(n != 1);"}
    for entry in entries:
        po.append(entry)
    return po


def test_it_finds_untranslated_and_fuzzy_entries():
    po = _catalogue(
        polib.POEntry(msgid="Inbox", msgstr=""),
        polib.POEntry(msgid="Sign in", msgstr="Logg inn", flags=["fuzzy"]),
        polib.POEntry(msgid="%(counter)s referral", msgid_plural="%(counter)s referrals",
                      msgstr_plural={0: "%(counter)s melding", 1: ""}),
    )
    assert untranslated(po) == ["Inbox", "%(counter)s referral"]
    assert fuzzy(po) == ["Sign in"]


def test_it_finds_lost_or_invented_placeholders():
    po = _catalogue(
        polib.POEntry(msgid="Queue: %(agency)s", msgstr="Kø"),
        polib.POEntry(msgid="Page %(number)s of %(total)s", msgstr="Side %(number)s av %(totalt)s"),
        polib.POEntry(msgid="Hello {name}", msgstr="Hei"),
        polib.POEntry(msgid="%(counter)s referral", msgid_plural="%(counter)s referrals",
                      msgstr_plural={0: "én melding", 1: "%(counter)s meldinger"}),
        polib.POEntry(msgid="100%% sure: %(x)s", msgstr="100 %% sikker: %(x)s"),
    )
    assert len(placeholder_mismatches(po)) == 4


def test_it_finds_a_stale_compiled_catalogue(tmp_path):
    old = _catalogue(polib.POEntry(msgid="Receipt", msgstr="Kvitering"),
                     polib.POEntry(msgid="Inbox", msgstr="Innboks"))
    old.save_as_mofile(str(tmp_path / "old.mo"))
    new = _catalogue(
        polib.POEntry(msgid="Receipt", msgstr="Kvittering"),
        polib.POEntry(msgid="Sign in", msgstr="Logg inn"),
        polib.POEntry(msgid="%(counter)s referral", msgid_plural="%(counter)s referrals",
                      msgstr_plural={0: "%(counter)s melding", 1: "%(counter)s meldinger"}),
    )
    problems = compiled_differences(new, polib.mofile(str(tmp_path / "old.mo")))
    assert len(problems) == 4  # Receipt stale, Sign in and the plural missing, Inbox left over
    new.save_as_mofile(str(tmp_path / "new.mo"))
    assert compiled_differences(new, polib.mofile(str(tmp_path / "new.mo"))) == []


# The pages


def test_it_shows_the_login_page_in_bokmal_by_default_and_in_english_when_asked(db, client):
    page = client.get("/accounts/login/").content.decode()
    assert "Logg inn" in page and "Sign in" not in page
    assert 'lang="nb"' in page

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"

    page = client.get("/accounts/login/").content.decode()
    assert "Sign in" in page and "Logg inn" not in page
    assert 'lang="en"' in page
