"""Suggest that a new referral may concern a child the system already knows.

The output is a *suggestion* shown to a coordinator, never an automatic merge: a false
suggestion costs a glance, a missed one means two agencies hold halves of one child's
picture (DOMAIN.md section 1: "nobody sees the whole picture alone"). The rules therefore
lean towards suggesting, within firm limits:

* the dates of birth must be known and equal (nothing else is considered here);
* the names must agree after normalisation (case, accents, æ/ø/å written ae/oe/aa,
  whitespace and hyphens), in any order (given and family names swapped, given names
  reordered), allowing one typo: Damerau-Levenshtein distance (optimal string alignment,
  so an adjacent transposition counts as one) of at most 1 in one name token whose longer
  spelling has at least ``MIN_TYPO_TOKEN_LENGTH`` characters. Short names get no typo
  tolerance because one letter is often a different name there (Ola/Ole, Per/Pål);
* additionally, and at a lower score: names equal once spaces are ignored ("Anne Marie"
  / "Annemarie"), and names equal when æ/ø/å were typed as plain a/o ("Odegard" /
  "Ødegård"), as happens in systems without Norwegian letters. Neither of these allows a
  further typo: each already is one difference, and two differences are not a match.

A consequence to know: a length-4 name and the 3-letter name one deletion away (Olav/Ola)
are treated as a possible typo of each other. That is the price of catching "Nora"/"Nra".

Finding candidates with an index
--------------------------------
``name_keys()`` gives the blocking keys to store per child (one row per key). Query:

    keys = name_keys(given, family)
    candidates = Child.objects.filter(
        date_of_birth=dob, name_keys__key__in=keys
    ).distinct()
    matches = [c for c in candidates if is_match(c.given_name, c.family_name,
                                                 c.date_of_birth, given, family, dob)]

Best storage: a ``ChildNameKey(child, date_of_birth, key)`` table with an index on
``(date_of_birth, key)`` (``key`` a CharField of ``NAME_KEY_MAX_LENGTH``); rebuild a
child's rows whenever its names or date of birth change, and rebuild all rows when
``NAME_KEYS_VERSION`` changes. Why not the date of birth alone: children without a known
birthday are registered as 1 January (or 1 July) of the estimated year, so those dates
collect many children, especially among migrant minors.

The keys are built so that any two names ``is_match()`` accepts share at least one key
(a tested property), so the query loses no match. They are personal data like the names
themselves: same table-level access rules, never logged.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from datetime import date

from rapidfuzz.distance import OSA

NAME_KEYS_VERSION = 1
NAME_KEY_MAX_LENGTH = 64
MIN_TYPO_TOKEN_LENGTH = 4
MATCH_THRESHOLD = 0.75

# Score levels, highest first. Everything at or above MATCH_THRESHOLD is a match;
# non-matching names score at most _PARTIAL_MAX, so the two bands never overlap.
_SAME_ORDER = 1.0
_REORDERED = 0.95
_SAME_WITHOUT_SPACES = 0.9
_ONE_TYPO = 0.85
_LOOSE_SPELLING = 0.8
_PARTIAL_MAX = 0.6

# Letters mapped as Norwegian (and German/Swedish) conventions write them without the
# letter: æ→ae, ø→oe, å→aa (the ICAO passport transliteration too), ä→ae, ö→oe, ü→ue.
# The rest are letters Unicode does not decompose into a base letter plus a mark.
_TRANSLITERATION = str.maketrans(
    {
        "æ": "ae", "ø": "oe", "å": "aa", "ä": "ae", "ö": "oe", "ü": "ue",
        "œ": "oe", "ß": "ss", "ð": "d", "đ": "d", "þ": "th", "ł": "l", "ı": "i",
    }
)
_APOSTROPHES = str.maketrans("", "", "'’‘`´ʼ")
# For the loose spelling: the digraphs above collapsed to one plain vowel, so "Ødegård",
# "Oedegaard" and "Odegard" meet at "odegard". Applied to both sides alike.
_DIGRAPHS = re.compile(r"aa|ae|oe|ue")


def normalise_name(s: str | None) -> str:
    """A comparable spelling: "Bjørn Ødegård" and "Bjoern  Oedegaard" both give "bjoern oedegaard".

    Steps, each for a reason: NFKC first so that a decomposed "å" (a + ring, as some Mac
    and web input produces) is mapped to "aa" and not stripped to "a", and look-alike
    compatibility letters (full-width, ligatures) become plain ones; casefold; the
    transliteration table; accents stripped (é→e, ñ→n); apostrophes dropped (O'Neil);
    any other non-letter/digit (hyphen, dot, underscore) becomes a space; spaces collapsed.
    Non-Latin scripts are kept as they are (casefolded): no guessing transliterations.
    """
    if not s:
        return ""
    text = unicodedata.normalize("NFKC", s).casefold().translate(_TRANSLITERATION)
    text = _strip_marks(text)
    # Again: stripping can expose a letter to fold or map (e.g. "ǿ" → "ø" + accent).
    text = _strip_marks(text.casefold().translate(_TRANSLITERATION)).translate(_APOSTROPHES)
    text = "".join(c if c.isalnum() else " " for c in text)
    return " ".join(text.split())


def _strip_marks(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def name_keys(given: str | None, family: str | None) -> tuple[str, ...]:
    """Blocking keys for an indexed candidate query; see the module docstring for use.

    Contents and why each is needed for "every match shares a key":
    * every normalised token, and its loose spelling: with two or more tokens, a match
      leaves all tokens but at most one identical (all, for the loose spelling);
    * the tokens joined without spaces, in both given/family orders: "Annemarie" vs
      "Anne Marie" shares no token;
    * for a one-token name only, the token with each single character deleted (for
      tokens of at least ``MIN_TYPO_TOKEN_LENGTH``): two spellings one typo apart always
      share such a deletion variant or one equals a variant of the other (the "symmetric
      delete" idea), which covers a typo in the only token.
    Sorted, deduplicated and cut to ``NAME_KEY_MAX_LENGTH`` (cutting keeps equal keys equal).
    """
    given_tokens, family_tokens = _tokens(given), _tokens(family)
    tokens = given_tokens + family_tokens
    if not tokens:
        return ()
    loose = [_loosen(t) for t in tokens]
    keys = set(tokens) | set(loose)
    keys.add("".join(given_tokens + family_tokens))
    keys.add("".join(family_tokens + given_tokens))
    if len(tokens) == 1:
        keys.update(_deletion_variants(tokens[0]))
    return tuple(sorted({key[:NAME_KEY_MAX_LENGTH] for key in keys}))


def score(
    candidate_given: str | None,
    candidate_family: str | None,
    candidate_dob: date | None,
    given: str | None,
    family: str | None,
    dob: date | None,
) -> float:
    """How likely the two records describe the same child, in [0, 1]; symmetric.

    0.0 whenever either date of birth is unknown or they differ. Otherwise the band
    ``[MATCH_THRESHOLD, 1]`` holds names that agree under the rules in the module
    docstring, and ``[0, 0.6]`` the share of tokens two other names have in common (to
    rank near misses in a search, never to suggest them).
    """
    if candidate_dob is None or dob is None or candidate_dob != dob:
        return 0.0
    a_given, a_family = _tokens(candidate_given), _tokens(candidate_family)
    b_given, b_family = _tokens(given), _tokens(family)
    a, b = a_given + a_family, b_given + b_family
    if not a or not b:
        return 0.0
    agreement = _token_agreement(a, b)
    if agreement is not None:
        return agreement
    if _compact_forms(a_given, a_family) & _compact_forms(b_given, b_family):
        return _SAME_WITHOUT_SPACES
    if Counter(_loosen(t) for t in a) == Counter(_loosen(t) for t in b):
        return _LOOSE_SPELLING
    return _partial_overlap(a, b)


def is_match(
    candidate_given: str | None,
    candidate_family: str | None,
    candidate_dob: date | None,
    given: str | None,
    family: str | None,
    dob: date | None,
) -> bool:
    """Whether to suggest the candidate as possibly the same child."""
    similarity = score(candidate_given, candidate_family, candidate_dob, given, family, dob)
    return similarity >= MATCH_THRESHOLD


# --- Helpers --------------------------------------------------------------------------


def _tokens(name: str | None) -> list[str]:
    return normalise_name(name).split()


def _loosen(token: str) -> str:
    return _DIGRAPHS.sub(lambda m: m.group(0)[0], token)


def _compact_forms(given_tokens: list[str], family_tokens: list[str]) -> set[str]:
    """The name without spaces in both orders (set, so comparing them is symmetric)."""
    return {"".join(given_tokens + family_tokens), "".join(family_tokens + given_tokens)}


def _deletion_variants(token: str) -> set[str]:
    if len(token) < MIN_TYPO_TOKEN_LENGTH:
        return set()
    return {token[:i] + token[i + 1 :] for i in range(len(token))}


def _token_agreement(a: list[str], b: list[str]) -> float | None:
    """Score if the token lists agree (any order, at most one typo), else None.

    Order-free by comparing multisets: the tokens left over on each side after removing
    the common ones are unique, so "all equal but one pair at distance 1" is exactly
    "one leftover on each side, at distance 1". Symmetric by construction.
    """
    if a == b:
        return _SAME_ORDER
    only_a, only_b = Counter(a) - Counter(b), Counter(b) - Counter(a)
    if not only_a and not only_b:
        return _REORDERED
    if only_a.total() == 1 and only_b.total() == 1:
        (token_a,), (token_b,) = only_a, only_b
        if _is_one_typo(token_a, token_b):
            return _ONE_TYPO
    return None


def _is_one_typo(a: str, b: str) -> bool:
    if max(len(a), len(b)) < MIN_TYPO_TOKEN_LENGTH:
        return False
    return OSA.distance(a, b, score_cutoff=1) <= 1


def _partial_overlap(a: list[str], b: list[str]) -> float:
    common = (Counter(a) & Counter(b)).total()
    return _PARTIAL_MAX * common / max(len(a), len(b))
