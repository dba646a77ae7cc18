"""National identity numbers: validation (classic and 2032 rules), digest, encryption.

Valid numbers are built here from a date, an individual number and check digits computed
by this file's own implementation of Skatteetaten's formulas, not the module's, so a
mistake in the module cannot hide behind the same mistake in the test.
"""

import hashlib
import hmac
from datetime import date, timedelta

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils import translation
from hypothesis import HealthCheck, assume, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from stdnum.no import fodselsnummer

from referrals.identity import (
    NationalIdDecryptionError,
    birth_date_from_national_id,
    decrypt_national_id,
    encrypt_national_id,
    national_id_digest,
    rotate_national_id_token,
    validate_national_id,
)


@pytest.fixture(autouse=True)
def _english():
    """These tests read the English messages; the interface is bokmål by default (the
    bokmål texts are checked by the translation tests)."""
    with translation.override("en"):
        yield

# pytest-django's `settings` fixture is function-scoped; hypothesis would warn that it
# is not reset between examples. It is safe here: every test sets the same keys first.
fixture_ok = hypothesis_settings(
    max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None
)

# From stdnum's doctests and Skatteetaten's "Nytt fødselsnummer fra 2032" worked examples.
STDNUM_VALID = "15108695088"  # born 15.10.1986
STDNUM_BAD_CHECKSUM = "15108695077"
SKATTEETATEN_2032_REMAINDER_0 = "30108299920"  # born 30.10.1982, k1 by the classic rule
SKATTEETATEN_2032_REMAINDER_1 = "30108299939"  # same person data, k1 only valid from 2032
SKATTEETATEN_BORN_2032 = "02013299997"  # born 02.01.2032
NHN_TEST_D_NUMBER = "70019950032"  # Norsk Helsenett test patient, D-number, born 30.01.1899

K1_WEIGHTS = (3, 7, 6, 1, 8, 9, 4, 5, 2)
K2_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)

HASH_KEY = "k" * 40
OTHER_HASH_KEY = "q" * 40


def _check_digit(digits: str, weights: tuple[int, ...], remainder: int = 0) -> int:
    """Skatteetaten: k = (11 + remainder) - (weighted sum mod 11); 11..14 read as 0..3."""
    return (11 + remainder - sum(w * int(d) for w, d in zip(weights, digits)) % 11) % 11


def _individual_ranges(born: date) -> list[range]:
    """Individual numbers allowed for a birth year (Skatteetaten's classic century table)."""
    if born.year < 1900:
        return [range(500, 750)]
    if born.year < 2000:
        return [range(0, 500)] + ([range(900, 1000)] if born.year >= 1940 else [])
    return [range(500, 1000)]


@st.composite
def national_ids(draw, *, remainders=(0,), d_number: bool | None = None, max_date=None):
    """(number, birth date): a valid fødselsnummer or D-number.

    remainders=(0,) gives classic numbers; (0, 1, 2, 3) any number valid from 2032.
    """
    born = draw(st.dates(min_value=date(1854, 1, 1), max_value=max_date or date.today()))
    individual = draw(st.sampled_from(_individual_ranges(born)).flatmap(st.sampled_from))
    is_d = draw(st.booleans()) if d_number is None else d_number
    day = born.day + (40 if is_d else 0)
    body = f"{day:02d}{born.month:02d}{born.year % 100:02d}{individual:03d}"
    k1 = _check_digit(body, K1_WEIGHTS, draw(st.sampled_from(remainders)))
    assume(k1 != 10)
    k2 = _check_digit(body + str(k1), K2_WEIGHTS)
    assume(k2 != 10)
    return body + str(k1) + str(k2), born


def _code_of(value: str, **kwargs) -> str:
    with pytest.raises(ValidationError) as raised:
        validate_national_id(value, **kwargs)
    return raised.value.code


# --- Validation: fixed examples ---------------------------------------------------------


def test_it_accepts_stdnums_example_and_strips_spaces_and_hyphens():
    # given the doctest number written three ways
    written = ["151086 95088", "151086-95088", " 15108695088\t"]
    # when validated
    results = [validate_national_id(value) for value in written]
    # then each gives the bare 11 digits
    assert results == [STDNUM_VALID] * 3


def test_it_rejects_stdnums_bad_checksum_example_with_the_checksum_message():
    # given stdnum's example of a bad checksum
    # when validated, then the error is specifically about the check digits
    with pytest.raises(ValidationError) as raised:
        validate_national_id(STDNUM_BAD_CHECKSUM)
    assert raised.value.code == "checksum"
    assert "check digits" in str(raised.value.messages[0])


@pytest.mark.parametrize("value", ["", "1510869508", "151086950881", "1510869508x", "١٥١٠٨٦٩٥٠٨٨"])
def test_it_rejects_wrong_length_or_non_digits_with_the_format_message(value):
    # given input that is not 11 ASCII digits (the last one is Arabic-Indic digits)
    # when validated, then the format message is used
    with pytest.raises(ValidationError) as raised:
        validate_national_id(value)
    assert raised.value.code == "invalid"
    assert str(raised.value.messages[0]) == (
        "Enter a valid Norwegian national identity number (11 digits)."
    )


def test_it_accepts_skatteetatens_2032_examples_that_stdnum_rejects():
    # given Skatteetaten's worked examples for the 2032 rule
    # when validated, then both are accepted with the encoded birth date
    assert validate_national_id(SKATTEETATEN_2032_REMAINDER_0) == SKATTEETATEN_2032_REMAINDER_0
    assert validate_national_id(SKATTEETATEN_2032_REMAINDER_1) == SKATTEETATEN_2032_REMAINDER_1
    assert birth_date_from_national_id(SKATTEETATEN_2032_REMAINDER_1) == date(1982, 10, 30)
    # and the remainder-1 one really needs the new rule: stdnum 2.2 rejects it
    assert not fodselsnummer.is_valid(SKATTEETATEN_2032_REMAINDER_1)


def test_it_rejects_a_birth_date_in_the_future_with_its_own_message():
    # given Skatteetaten's example of a child born 2 January 2032
    # when validated before that day, then the future-date message is used
    with pytest.raises(ValidationError) as raised:
        validate_national_id(SKATTEETATEN_BORN_2032, today=date(2031, 12, 31))
    assert raised.value.code == "future_birth_date"
    assert "future" in str(raised.value.messages[0])
    # and on or after that day it is valid
    assert validate_national_id(SKATTEETATEN_BORN_2032, today=date(2032, 1, 2))


def test_it_accepts_a_d_number_and_reads_its_birth_date():
    # given Norsk Helsenett's test D-number (first digit + 4)
    # when validated and decoded, then it is accepted with day 70 - 40 = 30
    assert validate_national_id(NHN_TEST_D_NUMBER) == NHN_TEST_D_NUMBER
    assert birth_date_from_national_id(NHN_TEST_D_NUMBER) == date(1899, 1, 30)


def _complete(body: str) -> str:
    """Append classic check digits to nine digits; fail loudly if this body has none."""
    k1 = _check_digit(body, K1_WEIGHTS)
    k2 = _check_digit(body + str(k1), K2_WEIGHTS)
    assert k1 != 10 and k2 != 10, "no valid check digits for this body: pick another example"
    return body + str(k1) + str(k2)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("155086950", id="H-number or NAV synthetic (month + 40)"),
        pytest.param("159086950", id="Tenor synthetic (month + 80)"),
        pytest.param("555086950", id="Tenor synthetic D-number (day + 40, month + 80)"),
        pytest.param("812345678", id="FH-number (first digit 8)"),
    ],
)
def test_it_rejects_help_and_synthetic_numbers(body):
    # given a number with valid check digits that is not a person's national identity
    number = _complete(body)
    # when validated, then it is refused as a kind we do not accept
    assert _code_of(number) == "unsupported_kind"


def test_it_rejects_an_impossible_date_with_valid_check_digits():
    # given 31 February with correct check digits
    number = _complete("310286950")
    # when validated, then the date message is used
    assert _code_of(number) == "invalid_birth_date"


# --- Validation: properties -----------------------------------------------------------


@hypothesis_settings(max_examples=200)
@given(national_ids(remainders=(0,)))
def test_it_accepts_every_classic_number_like_stdnum_and_round_trips_the_birth_date(case):
    # given a classic number (k1 by the pre-2032 formula), fødselsnummer or D-number
    number, born = case
    # when validated and decoded
    # then it is accepted, the date round-trips, and stdnum agrees it is valid
    assert validate_national_id(number) == number
    assert birth_date_from_national_id(number) == born
    assert fodselsnummer.is_valid(number)


@hypothesis_settings(max_examples=200)
@given(national_ids(remainders=(0, 1, 2, 3)))
def test_it_accepts_every_number_valid_under_the_2032_rule_and_round_trips_the_birth_date(case):
    # given a number whose k1 leaves remainder 0, 1, 2 or 3 (the 2032 rule)
    number, born = case
    # when validated and decoded, then it is accepted and the date round-trips
    assert validate_national_id(number) == number
    assert birth_date_from_national_id(number) == born


@hypothesis_settings(max_examples=100)
@given(national_ids(remainders=(1, 2, 3)))
def test_it_accepts_2032_only_numbers_that_stdnum_rejects_on_checksum(case):
    # given a number valid only under the 2032 rule (remainder 1-3)
    number, _ = case
    # when checked by stdnum 2.2 and by us
    # then stdnum says checksum, we accept: this is the behaviour we add on top of stdnum
    assert fodselsnummer.calc_check_digit1(number) != number[9]
    assert validate_national_id(number) == number


@hypothesis_settings(max_examples=100)
@given(national_ids(d_number=True))
def test_it_accepts_d_numbers(case):
    # given a D-number (day + 40)
    number, born = case
    # when decoded, then the first digit is 4-7 and the day is read back without the 40
    assert number[0] in "4567"
    assert birth_date_from_national_id(number) == born


# Why single-digit changes stay detectable under the 2032 rule: the 2032 rule only widens
# k1 (four remainders accepted instead of one), so k1 alone no longer catches every typo.
# k2 is unchanged, and its check is "sum of w_i * digit_i over all 11 digits, with weights
# 5,4,3,2,7,6,5,4,3,2,1, is 0 mod 11". Changing one digit by d (1 <= |d| <= 9) changes that
# sum by w_i * d, and since 11 is prime and neither w_i nor d is a multiple of 11, the sum
# stops being 0 mod 11. Likewise for swapping two different adjacent digits a, b: the sum
# changes by (w_i - w_(i+1)) * (b - a), and no two adjacent k2 weights are equal. So every
# single-digit change and every adjacent transposition is still rejected, with or without
# the 2032 rule; what the new rule loses is only k1's extra detection of multi-digit errors.


@hypothesis_settings(max_examples=200)
@given(
    national_ids(remainders=(0, 1, 2, 3)),
    st.integers(min_value=0, max_value=10),
    st.integers(min_value=1, max_value=9),
)
def test_it_rejects_any_single_digit_change_as_a_checksum_error(case, position, shift):
    # given a valid number (classic or 2032) and one digit changed to a different digit
    number, _ = case
    changed_digit = str((int(number[position]) + shift) % 10)
    mutated = number[:position] + changed_digit + number[position + 1 :]
    # when validated, then it is rejected, and for the check digits' sake
    assert _code_of(mutated) == "checksum"


@hypothesis_settings(max_examples=200)
@given(national_ids(remainders=(0, 1, 2, 3)), st.integers(min_value=0, max_value=9))
def test_it_rejects_any_adjacent_transposition_as_a_checksum_error(case, position):
    # given a valid number with two different adjacent digits swapped
    number, _ = case
    assume(number[position] != number[position + 1])
    swapped = number[:position] + number[position + 1] + number[position] + number[position + 2 :]
    # when validated, then it is rejected on the check digits
    assert _code_of(swapped) == "checksum"


@hypothesis_settings(max_examples=100)
@given(national_ids(max_date=date(2030, 12, 31)), st.integers(min_value=1, max_value=400))
@example(case=(SKATTEETATEN_BORN_2032, date(2032, 1, 2)), days_before=1)
def test_it_rejects_a_birth_date_after_today(case, days_before):
    # given a valid number and a "today" before its birth date
    number, born = case
    # when validated on that day, then it is rejected as born in the future
    assert _code_of(number, today=born - timedelta(days=days_before)) == "future_birth_date"


# --- Keyed digest ---------------------------------------------------------------------


def test_it_computes_the_digest_as_hmac_sha256_of_the_normalised_number(settings):
    # given a hash key
    settings.SAMVIRKE_ID_HASH_KEY = HASH_KEY
    # when a formatted number is digested
    digest = national_id_digest("151086 95088")
    # then it is the hex HMAC-SHA256 of the bare digits (the stored format is pinned here)
    expected = hmac.new(HASH_KEY.encode(), STDNUM_VALID.encode(), hashlib.sha256).hexdigest()
    assert digest == expected


def test_it_gives_the_same_digest_for_a_str_key_and_the_same_bytes_key(settings):
    # given the same key as str and as bytes
    settings.SAMVIRKE_ID_HASH_KEY = HASH_KEY
    from_str = national_id_digest(STDNUM_VALID)
    settings.SAMVIRKE_ID_HASH_KEY = HASH_KEY.encode()
    # when digested, then the digests agree
    assert national_id_digest(STDNUM_VALID) == from_str


@fixture_ok
@given(national_ids(remainders=(0, 1, 2, 3)))
def test_it_makes_a_stable_keyed_digest_that_never_contains_the_number(settings, case):
    # given a valid number
    number, _ = case
    settings.SAMVIRKE_ID_HASH_KEY = HASH_KEY
    # when digested twice (once formatted) and once with another key
    first = national_id_digest(number)
    again = national_id_digest(f"{number[:6]} {number[6:]}")
    settings.SAMVIRKE_ID_HASH_KEY = OTHER_HASH_KEY
    other_key = national_id_digest(number)
    # then it is stable, depends on the key, and does not contain the number or its parts
    assert first == again
    assert first != other_key
    assert number not in first and number[:6] not in first and number[6:] not in first


def test_it_gives_different_numbers_different_digests(settings):
    # given two different valid numbers
    settings.SAMVIRKE_ID_HASH_KEY = HASH_KEY
    # when digested, then the digests differ
    assert national_id_digest(STDNUM_VALID) != national_id_digest(SKATTEETATEN_2032_REMAINDER_0)


@pytest.mark.parametrize("value", ["", "not a number", "1510869508"])
def test_it_refuses_to_digest_input_that_is_not_eleven_digits(settings, value):
    # given junk input
    settings.SAMVIRKE_ID_HASH_KEY = HASH_KEY
    # when digested, then it is refused rather than hashed into a shared junk digest
    with pytest.raises(ValidationError):
        national_id_digest(value)


def test_it_refuses_a_missing_or_short_hash_key(settings):
    # given no hash key, then a short one
    del settings.SAMVIRKE_ID_HASH_KEY
    with pytest.raises(ImproperlyConfigured):
        national_id_digest(STDNUM_VALID)
    settings.SAMVIRKE_ID_HASH_KEY = "changeme"
    # when digesting, then configuration is reported as wrong
    with pytest.raises(ImproperlyConfigured):
        national_id_digest(STDNUM_VALID)


# --- Encryption at rest ---------------------------------------------------------------

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


@fixture_ok
@given(national_ids(remainders=(0, 1, 2, 3)))
def test_it_round_trips_encryption_without_the_number_in_the_token(settings, case):
    # given a key and a valid number
    number, _ = case
    settings.SAMVIRKE_ID_ENCRYPTION_KEYS = [NEW_KEY]
    # when encrypted (formatted) and decrypted
    token = encrypt_national_id(f"{number[:6]}-{number[6:]}")
    # then the bare number comes back and the token does not show it
    assert decrypt_national_id(token) == number
    assert number not in token


def test_it_encrypts_the_same_number_differently_each_time(settings):
    # given a key
    settings.SAMVIRKE_ID_ENCRYPTION_KEYS = [NEW_KEY]
    # when the same number is encrypted twice, then the tokens differ (random IV)
    assert encrypt_national_id(STDNUM_VALID) != encrypt_national_id(STDNUM_VALID)


def test_it_still_decrypts_old_tokens_after_a_new_key_is_put_first(settings):
    # given a token made with the old key
    settings.SAMVIRKE_ID_ENCRYPTION_KEYS = [OLD_KEY]
    old_token = encrypt_national_id(STDNUM_VALID)
    # when a new key is put first, the old one kept after it
    settings.SAMVIRKE_ID_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    new_token = encrypt_national_id(STDNUM_VALID)
    # then the old token still decrypts, and new tokens use the new key only
    assert decrypt_national_id(old_token) == STDNUM_VALID
    settings.SAMVIRKE_ID_ENCRYPTION_KEYS = [NEW_KEY]
    assert decrypt_national_id(new_token) == STDNUM_VALID
    with pytest.raises(NationalIdDecryptionError):
        decrypt_national_id(old_token)


def test_it_rotates_a_token_so_the_old_key_can_be_removed(settings):
    # given a token made with the old key, and the new key now first
    settings.SAMVIRKE_ID_ENCRYPTION_KEYS = [OLD_KEY]
    old_token = encrypt_national_id(STDNUM_VALID)
    settings.SAMVIRKE_ID_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    # when rotated and the old key removed
    rotated = rotate_national_id_token(old_token)
    settings.SAMVIRKE_ID_ENCRYPTION_KEYS = [NEW_KEY]
    # then the rotated token decrypts with the new key alone
    assert decrypt_national_id(rotated) == STDNUM_VALID


def test_it_reports_a_tampered_token_without_revealing_anything(settings):
    # given a token with one character changed
    settings.SAMVIRKE_ID_ENCRYPTION_KEYS = [NEW_KEY]
    token = encrypt_national_id(STDNUM_VALID)
    tampered = token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:]
    # when decrypted, then our own error is raised, with no number in it
    with pytest.raises(NationalIdDecryptionError) as raised:
        decrypt_national_id(tampered)
    assert STDNUM_VALID not in str(raised.value)


@pytest.mark.parametrize("keys", [[], "not-a-list", ["not a fernet key"]])
def test_it_refuses_bad_encryption_key_settings(settings, keys):
    # given an empty list, a bare string, or a malformed key
    settings.SAMVIRKE_ID_ENCRYPTION_KEYS = keys
    # when encrypting, then configuration is reported as wrong
    with pytest.raises(ImproperlyConfigured):
        encrypt_national_id(STDNUM_VALID)
