"""Norwegian national identity numbers: validation, lookup digest and encryption at rest.

A child's fødselsnummer or D-number is the strongest identifier we hold, so it is never
stored or logged in clear. The intake feature keeps two values per number:

* ``national_id_digest()``: a keyed HMAC-SHA256, deterministic, for an indexed equality
  lookup ("is this child already known?") without being able to reverse it;
* ``encrypt_national_id()``: a Fernet token (AES-128-CBC + HMAC-SHA256, random IV), for
  showing the number to someone entitled to see it. Tokens are not deterministic, which is
  why the digest exists.

Numbers this module accepts
---------------------------
* fødselsnummer (birth number) and D-number (first digit + 4, given to people who are not
  or not yet registered as resident; common for unaccompanied minors, so they must work).
* Check digits under both the classic rule and the rule that applies to numbers issued from
  1 January 2032 (see ``_has_valid_check_digits``).

Numbers it rejects, on purpose (code ``unsupported_kind``)
----------------------------------------------------------
* H-numbers (hjelpenummer, month + 40): assigned locally by one health institution, so they
  cannot identify a child across agencies, which is what this field is for.
* FH-numbers (first digit 8 or 9): national health-sector help numbers with no birth date,
  again not a Folkeregisteret identity.
* Synthetic test numbers: NAV's (month + 40, indistinguishable from H-numbers) and
  Skatteetaten Tenor's (month + 80). Test data must never be entered in production, and
  the test suite builds its own valid numbers instead.
A child without a valid number is still registered: the law requires that filing is never
blocked on a missing ID number (see DOMAIN.md section 3), so the form leaves it empty.

Nothing here logs, and no exception message or parameter ever carries the number.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from datetime import date

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum import exceptions as stdnum_exceptions
from stdnum.no import fodselsnummer
from stdnum.util import isdigits

NATIONAL_ID_LENGTH = 11

# Separators people type or paste (from Word, PDFs, e-mails): whitespace of any kind,
# ASCII hyphen and the Unicode dashes/minus that autocorrect produces.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212]")

# Weights over the first ten digits (k1 included with weight 1). Classic rule: remainder 0.
# 2032 rule: remainder 0, 1, 2 or 3. Source and reasoning: ``_has_valid_check_digits``.
_K1_WEIGHTS = (3, 7, 6, 1, 8, 9, 4, 5, 2, 1)
_K1_ALLOWED_REMAINDERS = frozenset({0, 1, 2, 3})

# An HMAC key shorter than the hash output weakens nothing in theory but signals a
# placeholder ("changeme"); refuse it so a weak key cannot reach production unnoticed.
_MIN_HASH_KEY_BYTES = 32

MESSAGES = {
    "invalid": _("Enter a valid Norwegian national identity number (11 digits)."),
    "checksum": _(
        "The check digits of this national identity number do not match. "
        "Check the number for typing errors."
    ),
    "unsupported_kind": _(
        "H-numbers, FH-numbers and synthetic test numbers are not accepted. "
        "Enter the child's national identity number or D-number."
    ),
    "invalid_birth_date": _(
        "This national identity number does not contain a valid date of birth."
    ),
    "future_birth_date": _(
        "The date of birth in this national identity number is in the future."
    ),
}


_UNDECRYPTABLE = "The national identity number could not be decrypted."


class NationalIdDecryptionError(Exception):
    """A stored token could not be decrypted with any configured key.

    Raised instead of ``cryptography``'s ``InvalidToken`` so callers need not import it.
    Usually means a key was removed from ``SAMVIRKE_ID_ENCRYPTION_KEYS`` too early.
    """


# --- Validation -----------------------------------------------------------------------


def normalise_national_id(value: str) -> str:
    """Strip whitespace and hyphens; nothing else, so that bad input stays visibly bad."""
    return _SEPARATORS.sub("", value or "")


def validate_national_id(value: str, *, today: date | None = None) -> str:
    """Return the normalised number, or raise ``ValidationError`` saying what is wrong.

    Also usable as a Django field validator (the return value is then ignored). ``today``
    exists for tests; it defaults to today's date in ``TIME_ZONE`` (Europe/Oslo), so a
    child born after midnight in Norway is not "born in the future" on a UTC server.

    Checks run in a fixed order, and the checksum comes before anything about dates:
    every single-digit typo is then reported as a checksum error, the most useful message.
    """
    number = normalise_national_id(value)
    if len(number) != NATIONAL_ID_LENGTH or not isdigits(number):
        raise _error("invalid")
    if not _has_valid_check_digits(number):
        raise _error("checksum")
    if _is_help_or_synthetic_number(number):
        raise _error("unsupported_kind")
    birth_date = _decode_birth_date(number)
    if birth_date > (today or timezone.localdate()):
        raise _error("future_birth_date")
    return number


def birth_date_from_national_id(value: str) -> date:
    """The date of birth a valid number encodes (D-numbers included).

    Validates first: a date read from a mistyped number would be confidently wrong.

    The century is read with the classic individual-number table (500-749 = 1854-1899,
    000-499 = 1900-1999, 900-999 with year >= 40 = 1940-1999, 500-999 with year < 40 =
    2000-2039), which is right for every number issued before 2032. Skatteetaten states
    that numbers issued from 1 January 2032 no longer encode the century, and that the date
    of birth must then be taken from Folkeregisteret: treat this value as a hint for such
    numbers and prefer the registered date of birth where the system has one.
    """
    return _decode_birth_date(validate_national_id(value))


def _has_valid_check_digits(number: str) -> bool:
    """True when k1 satisfies the classic or the 2032 rule and k2 is right.

    Source: Skatteetaten, "Nytt fødselsnummer fra 2032", technical documentation for
    Folkeregisteret (skatteetaten.github.io/folkeregisteret-api-dokumentasjon/
    nytt-fodselsnummer-fra-2032/, repository Skatteetaten/folkeregisteret-api-dokumentasjon,
    file src/om-tjenestene/nyttfnr2032.md), read November 2026. It says:

    * old rule: k1 = 11 - (S1 mod 11), S1 = d1*3 + d2*7 + m1*6 + m2*1 + å1*8 + å2*9 +
      i1*4 + i2*5 + i3*2; i.e. the remainder after the modulus check must be 0;
    * new rule (numbers issued from 1 January 2032, including to people born earlier):
      k1 = {11, 12, 13, 14} - (S1 mod 11), i.e. the remainder after the modulus check may
      be 0, 1, 2 or 3; a k1 that would be 10 is discarded, as before;
    * k2 is unchanged: k2 = 11 - (S2 mod 11) over d1..i3 and k1 with weights
      5, 4, 3, 2, 7, 6, 5, 4, 3, 2; a k2 of 10 is discarded; 11 means 0.

    What is implemented: (S1 + 1*k1) mod 11 must be in {0, 1, 2, 3} (a value of 11..14
    for k1 reduces mod 11 to 0..3, extending the classic "11 means 0"), and k2 must equal
    stdnum's ``calc_check_digit2``. Old numbers satisfy the new rule (remainder 0), so one
    test serves both; the document's worked examples 30108299920 (remainder 0) and
    30108299939 (remainder 1) are fixed examples in the tests. python-stdnum 2.2 only
    knows the classic rule, which is why k1 is checked here and not by ``stdnum.validate``.
    """
    k1_remainder = sum(w * int(d) for w, d in zip(_K1_WEIGHTS, number)) % 11
    k2_ok = fodselsnummer.calc_check_digit2(number[:10]) == number[10]
    return k2_ok and k1_remainder in _K1_ALLOWED_REMAINDERS


def _is_help_or_synthetic_number(number: str) -> bool:
    """FH-numbers start with 8 or 9; H- and synthetic numbers add 40 or 80 to the month."""
    return int(number[0]) >= 8 or int(number[2:4]) > 40


def _decode_birth_date(number: str) -> date:
    """Date of birth via stdnum (which handles D-numbers and the century table)."""
    try:
        return fodselsnummer.get_birth_date(number)
    except stdnum_exceptions.ValidationError:
        raise _error("invalid_birth_date") from None


def _error(code: str) -> ValidationError:
    return ValidationError(MESSAGES[code], code=code)


# --- Keyed digest for lookup ----------------------------------------------------------


def national_id_digest(value: str) -> str:
    """HMAC-SHA256 (hex) of the normalised number, keyed by ``SAMVIRKE_ID_HASH_KEY``.

    Why keyed: there are only about 10^9 plausible numbers, so a plain hash is reversed
    by brute force in seconds; without the key the digest reveals nothing.

    Only the format is checked (11 digits after normalising), not the checksum or date,
    so that a digest never changes meaning over time (e.g. when "today" moves), and so
    that empty or junk input cannot collapse into one shared digest. Validate before
    storing. Changing the key invalidates every stored digest: recompute them from the
    decrypted numbers when rotating it.
    """
    number = _require_format(value)
    return hmac.new(_hash_key(), number.encode("ascii"), hashlib.sha256).hexdigest()


def _hash_key() -> bytes:
    try:
        key = getattr(settings, "SAMVIRKE_ID_HASH_KEY")
    except AttributeError:
        raise ImproperlyConfigured("SAMVIRKE_ID_HASH_KEY is not set.") from None
    key_bytes = key.encode("utf-8") if isinstance(key, str) else bytes(key)
    if len(key_bytes) < _MIN_HASH_KEY_BYTES:
        raise ImproperlyConfigured(
            f"SAMVIRKE_ID_HASH_KEY must be at least {_MIN_HASH_KEY_BYTES} bytes long."
        )
    return key_bytes


# --- Encryption at rest ---------------------------------------------------------------


def encrypt_national_id(value: str) -> str:
    """Encrypt the normalised number with the first key in ``SAMVIRKE_ID_ENCRYPTION_KEYS``."""
    number = _require_format(value)
    return _fernet().encrypt(number.encode("ascii")).decode("ascii")


def decrypt_national_id(token: str) -> str:
    """Decrypt a token made with any configured key (old keys stay readable for rotation)."""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError):
        raise NationalIdDecryptionError(_UNDECRYPTABLE) from None


def rotate_national_id_token(token: str) -> str:
    """Re-encrypt a token under the current first key (for a rotation job).

    Rotation: put a new key first, keep the old ones after it, run this over every stored
    token, then remove the old keys.
    """
    try:
        return _fernet().rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError):
        raise NationalIdDecryptionError(_UNDECRYPTABLE) from None


def _fernet() -> MultiFernet:
    """Built per call: settings are read at use time, never frozen at import."""
    try:
        keys: Sequence[str | bytes] = getattr(settings, "SAMVIRKE_ID_ENCRYPTION_KEYS")
    except AttributeError:
        raise ImproperlyConfigured("SAMVIRKE_ID_ENCRYPTION_KEYS is not set.") from None
    if isinstance(keys, (str, bytes)) or not keys:
        raise ImproperlyConfigured(
            "SAMVIRKE_ID_ENCRYPTION_KEYS must be a non-empty list of Fernet keys."
        )
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError):
        raise ImproperlyConfigured(
            "SAMVIRKE_ID_ENCRYPTION_KEYS holds a key that is not a valid Fernet key "
            "(32 url-safe base64-encoded bytes, e.g. from Fernet.generate_key())."
        ) from None


def _require_format(value: str) -> str:
    number = normalise_national_id(value)
    if len(number) != NATIONAL_ID_LENGTH or not isdigits(number):
        raise _error("invalid")
    return number
