"""The scanner behind the whole-run check for personal data in logs and e-mails."""

import logging
from datetime import date

from tests.factories import national_id
from tests.leak_scan import SCAN, LeakScan, national_ids_in, names_in

NUMBER = national_id(date(2012, 5, 17))


def test_it_finds_a_valid_national_id_however_it_is_written():
    for text in (f"id={NUMBER}", f"{NUMBER[:6]} {NUMBER[6:]} was typed", f"x{NUMBER[:6]}-{NUMBER[6:]}."):
        assert national_ids_in(text) == [NUMBER]


def d_number() -> str:
    from stdnum.no import fodselsnummer

    for individual in range(500, 600):
        base = f"570512{individual}"  # born 17 May 2012: first digit + 4
        k1 = fodselsnummer.calc_check_digit1(base)
        k2 = fodselsnummer.calc_check_digit2(base + k1) if k1 != "10" else "10"
        if "10" not in (k1, k2):
            return base + k1 + k2
    raise AssertionError("no D-number found")


def test_it_finds_a_d_number_and_ignores_other_long_numbers():
    number = d_number()
    assert national_ids_in(f"D {number}") == [number]
    assert national_ids_in("12345678901 and 1763901234567 and order 0000000000000") == []
    assert national_ids_in(f"9{NUMBER}") == [] and national_ids_in(f"{NUMBER}7") == []


def test_it_finds_a_childs_name_as_a_whole_word_only():
    assert names_in("Referral for Ola Nordmann filed", {"Ola", "Nordmann"}) == ["Nordmann", "Ola"]
    assert names_in("Olav and Nordmannsen", {"Ola", "Nordmann"}) == []


def test_it_reports_what_it_found_with_where_and_never_the_whole_number():
    scan = LeakScan(child_names={"Kari"})
    scan.see("log of test_x", f"filed for Kari, {NUMBER}")
    findings = scan.finish()
    assert len(findings) == 2 and all(f.startswith("log of test_x") for f in findings)
    assert "national identity number (17…)" in findings[0]
    assert NUMBER not in " ".join(findings) and "Kari" in findings[1]


def test_it_sees_every_log_record_of_the_run():
    before = len(SCAN.texts)
    logging.getLogger("samvirke.leak_scan_probe").debug("a harmless debug line")
    assert SCAN.texts[before:] and SCAN.texts[-1][1].endswith("a harmless debug line")


def test_it_collects_the_names_of_saved_children_but_not_the_fuzzers_inventions(monkeypatch):
    from referrals.models import Child
    from tests.leak_scan import _collect_child_names

    monkeypatch.setattr(SCAN, "child_names", set())
    monkeypatch.setattr(SCAN, "current_test", "tests/security/test_api_fuzz.py::test_it_answers_every_operation")
    _collect_child_names(Child, Child(given_name="code", family_name="deadline_open_due"))
    assert SCAN.child_names == set()
    monkeypatch.setattr(SCAN, "current_test", "tests/referrals/test_intake_api.py::test_it_files")
    _collect_child_names(Child, Child(given_name="Ola", family_name="Nordmann"))
    assert SCAN.child_names == {"Ola", "Nordmann"}
