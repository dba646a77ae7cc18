"""Fuzzy matching of children by name and date of birth."""

from dataclasses import dataclass, replace
from datetime import date, timedelta
from string import ascii_lowercase

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from referrals.matching import MATCH_THRESHOLD, is_match, name_keys, normalise_name, score


@dataclass(frozen=True)
class Person:
    given: str
    family: str
    dob: date

    def args(self) -> tuple[str, str, date]:
        return (self.given, self.family, self.dob)


def _matches(a: Person, b: Person) -> bool:
    return is_match(*a.args(), *b.args())


def _score(a: Person, b: Person) -> float:
    return score(*a.args(), *b.args())


# --- Strategies -----------------------------------------------------------------------

dobs = st.dates(min_value=date(2000, 1, 1), max_value=date(2026, 12, 31))


def tokens(alphabet: str = ascii_lowercase, min_size: int = 1, max_size: int = 10):
    return st.text(alphabet=alphabet, min_size=min_size, max_size=max_size)


def names(token_strategy=None, max_tokens: int = 2):
    """One or more tokens joined by a space or a hyphen, as people write double names."""
    token_strategy = tokens() if token_strategy is None else token_strategy
    return st.tuples(
        st.lists(token_strategy, min_size=1, max_size=max_tokens),
        st.sampled_from([" ", "-"]),
    ).map(lambda parts: parts[1].join(parts[0]))


# Any letters at all (Norwegian, accented, other scripts), spaces, hyphens, apostrophes.
unicode_names = st.text(
    alphabet=st.characters(categories=("Lu", "Ll", "Lo")) | st.sampled_from(" -'ÆØÅæøå"),
    min_size=1,
    max_size=20,
)

people = st.builds(Person, given=names(), family=names(), dob=dobs)
unicode_people = st.builds(Person, given=unicode_names, family=unicode_names, dob=dobs).filter(
    lambda p: normalise_name(p.given + " " + p.family) != ""
)


@st.composite
def typo_of(draw, token: str) -> str:
    """One substitution, insertion, deletion or adjacent transposition (ASCII letters)."""
    kind = draw(st.sampled_from(["substitute", "insert", "delete", "transpose"]))
    letter = draw(st.sampled_from(ascii_lowercase))
    if kind == "insert":
        i = draw(st.integers(0, len(token)))
        return token[:i] + letter + token[i:]
    if kind == "transpose":
        i = draw(st.integers(0, len(token) - 2))
        return token[:i] + token[i + 1] + token[i] + token[i + 2 :]
    i = draw(st.integers(0, len(token) - 1))
    if kind == "delete":
        return token[:i] + token[i + 1 :]
    return token[:i] + letter + token[i + 1 :]


@st.composite
def person_and_typo(draw) -> tuple[Person, Person]:
    """A person and the same person with one typo in one name token of length >= 4."""
    given_tokens = draw(st.lists(tokens(), min_size=0, max_size=2))
    family_tokens = draw(st.lists(tokens(), min_size=0, max_size=2))
    target = draw(tokens(min_size=4, max_size=12))
    in_given = draw(st.booleans())
    position = draw(st.integers(0, len(given_tokens if in_given else family_tokens)))
    mistyped = draw(typo_of(target))

    def with_token(token: str) -> tuple[str, str]:
        g, f = list(given_tokens), list(family_tokens)
        (g if in_given else f).insert(position, token)
        return " ".join(g), " ".join(f)

    dob = draw(dobs)
    return Person(*with_token(target), dob), Person(*with_token(mistyped), dob)


TRANSLITERATIONS = {
    "æ": "ae", "ø": "oe", "å": "aa", "ä": "ae", "ö": "oe", "ü": "ue",
    "Æ": "Ae", "Ø": "Oe", "Å": "Aa", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue",
}
norwegian_tokens = tokens(alphabet="abdegiklmnorstvæøåäöüÆØÅ", min_size=1, max_size=10)


def _transliterate(text: str, upper_digraphs: bool) -> str:
    def spell(char: str) -> str:
        written = TRANSLITERATIONS.get(char, char)
        return written.upper() if upper_digraphs and char.isupper() else written

    return "".join(spell(c) for c in text)


ALL_RELATIONS = ("unrelated", "swap", "typo", "other dob", "same")
MATCHING_RELATIONS = ("swap", "typo", "same")


@st.composite
def related_pairs(draw, relations=ALL_RELATIONS) -> tuple[Person, Person]:
    """Pairs with every kind of relation, so symmetry is tested where it matters."""
    a = draw(people)
    relation = draw(st.sampled_from(relations))
    if relation == "unrelated":
        return a, draw(people)
    if relation == "swap":
        return a, Person(a.family, a.given, a.dob)
    if relation == "typo":
        return draw(person_and_typo())
    if relation == "other dob":
        return a, replace(a, dob=a.dob + timedelta(days=draw(st.integers(1, 400))))
    return a, a


# --- Normalisation --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("Bjørn Ødegård", "bjoern oedegaard"),
        ("Bjoern  Oedegaard", "bjoern oedegaard"),
        ("BJØRN ØDEGÅRD", "bjoern oedegaard"),
        ("Anne-Marie  Kjær", "anne marie kjaer"),
        ("Sjöström Müller", "sjoestroem mueller"),
        ("José Muñoz", "jose munoz"),
        ("O'Neil", "oneil"),
        ("A\u030ase", "aase"),  # decomposed å, as some input methods send it
        ("  -  ", ""),
    ],
)
def test_it_normalises_names(written, expected):
    # given a name as written; when normalised; then the comparable spelling
    assert normalise_name(written) == expected


@hypothesis_settings(max_examples=200)
@given(unicode_names)
def test_it_normalises_idempotently(name):
    # given any name; when normalised twice; then the second pass changes nothing
    once = normalise_name(name)
    assert normalise_name(once) == once


# --- Matching: fixed examples ---------------------------------------------------------

DOB = date(2012, 5, 17)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (("Bjørn", "Ødegård"), ("Bjoern", "Oedegaard")),
        (("Ola", "Nordmann"), ("Nordmann", "Ola")),
        (("Ola", "Nordmann"), ("Ola", "Nordman")),  # deletion
        (("Ola", "Nordmann"), ("Ola", "Nrodmann")),  # transposition
        (("Kari Anne", "Nordmann"), ("Anne Kari", "Nordmann")),  # given names reordered
        (("Anne Marie", "Berg"), ("Annemarie", "Berg")),  # space dropped
        (("Bjørn", "Ødegård"), ("Bjorn", "Odegard")),  # letters typed without ring/stroke
        (("Mohammed", "Ali"), ("Ali", "Muhammed")),  # swapped and one typo
    ],
)
def test_it_matches_known_variants(a, b):
    # given two spellings of one child with the same date of birth
    # when compared, then they match
    assert is_match(*a, DOB, *b, DOB)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (("Ola", "Nordmann"), ("Ole", "Nordmann")),  # one letter in a short name: another name
        (("Ola", "Nordmann"), ("Kari", "Nordmann")),  # sibling
        (("Ola", "Nordmann"), ("Ola", "Hansen")),
        (("Ola Johan", "Nordmann"), ("Ola", "Nordmann")),  # extra name: suggest nothing
        (("Kristian", "Hansen"), ("Christian", "Hansen")),  # two edits
        (("Nordmann", "Ola"), ("Nordmna", "Oal")),  # two typos
        (("", ""), ("", "")),  # no name at all
    ],
)
def test_it_does_not_match_different_names(a, b):
    # given two different names with the same date of birth
    # when compared, then they do not match, and score below the threshold
    assert not is_match(*a, DOB, *b, DOB)
    assert score(*a, DOB, *b, DOB) < MATCH_THRESHOLD


def test_it_does_not_match_when_a_date_of_birth_is_unknown():
    # given the same name, one date of birth unknown
    # when compared, then no match (only equal known dates count)
    assert score("Ola", "Nordmann", None, "Ola", "Nordmann", DOB) == 0.0
    assert not is_match("Ola", "Nordmann", DOB, "Ola", "Nordmann", None)


def test_it_ranks_exact_above_reordered_above_typo():
    # given an exact, a swapped, a reordered and a mistyped spelling
    exact = score("Ola", "Nordmann", DOB, "Ola", "Nordmann", DOB)
    swapped = score("Ola", "Nordmann", DOB, "Nordmann", "Ola", DOB)
    reordered = score("Kari Anne", "Nordmann", DOB, "Anne Kari", "Nordmann", DOB)
    typo = score("Ola", "Nordmann", DOB, "Ola", "Nordmannn", DOB)
    # then the scores order them, all as matches; any reordering counts like a swap
    assert exact == 1.0
    assert reordered == swapped
    assert exact > swapped > typo >= MATCH_THRESHOLD


# --- Matching: properties -------------------------------------------------------------


@hypothesis_settings(max_examples=200)
@given(unicode_people)
def test_it_matches_any_name_with_itself(person):
    # given any person with at least one letter in the name
    # when compared with itself, then a perfect match
    assert _score(person, person) == 1.0
    assert _matches(person, person)


@hypothesis_settings(max_examples=200)
@given(related_pairs())
def test_it_scores_symmetrically(pair):
    # given two people related in any way
    a, b = pair
    # when compared both ways, then the same score
    assert _score(a, b) == _score(b, a)


@hypothesis_settings(max_examples=200)
@given(
    st.builds(Person, given=names(norwegian_tokens), family=names(norwegian_tokens), dob=dobs),
    st.booleans(),
)
def test_it_matches_æøå_written_as_ae_oe_aa(person, upper_digraphs):
    # given a name with Norwegian letters and the same name written with digraphs
    written = Person(
        _transliterate(person.given, upper_digraphs),
        _transliterate(person.family, upper_digraphs),
        person.dob,
    )
    # when compared, then a full-strength match
    assert _score(person, written) == 1.0


@hypothesis_settings(max_examples=200)
@given(people)
def test_it_matches_given_and_family_names_swapped(person):
    # given a person and the same with given and family name swapped
    swapped = Person(person.family, person.given, person.dob)
    # when compared, then a match
    assert _matches(person, swapped)


@hypothesis_settings(max_examples=300)
@given(person_and_typo())
def test_it_matches_one_typo_in_a_name_token_of_four_or_more_letters(pair):
    # given a person and the same with one typo in one token of length >= 4
    original, mistyped = pair
    # when compared, then still a match
    assert _matches(original, mistyped)


@hypothesis_settings(max_examples=200)
@given(related_pairs(), st.integers(min_value=1, max_value=10_000), st.booleans())
def test_it_never_matches_a_different_date_of_birth(pair, days, earlier):
    # given any two names (often the same) and dates of birth that differ
    a, b = pair
    b = replace(b, dob=a.dob + timedelta(days=-days if earlier else days))
    # when compared, then no match at all
    assert _score(a, b) == 0.0
    assert not _matches(a, b)


# Names built from disjoint alphabets share no letter, so every pair of tokens differs in
# every position: no reordering, typo allowance or spelling rule can bring them together.
first_half = tokens(alphabet="abcdefghijklm", min_size=2)
second_half = tokens(alphabet="nopqrstuvwxyz", min_size=2)


@hypothesis_settings(max_examples=200)
@given(
    st.builds(Person, given=names(first_half), family=names(first_half), dob=dobs),
    names(second_half),
    names(second_half),
)
def test_it_does_not_match_clearly_different_names(person, other_given, other_family):
    # given two names with no letter in common and the same date of birth
    other = Person(other_given, other_family, person.dob)
    # when compared, then no match
    assert not _matches(person, other)
    assert _score(person, other) == 0.0


@hypothesis_settings(max_examples=200)
@given(
    tokens(alphabet="abcdefghijklm", min_size=4),
    tokens(alphabet="nopqrstuvwxyz", min_size=4),
    st.data(),
)
def test_it_does_not_match_a_typo_in_each_of_two_names(given_name, family_name, data):
    # given a name and the same with a substitution in both the given and the family name
    # (alphabets kept apart so the swapped reading cannot line the tokens up either)
    def substituted(token: str, alphabet: str) -> str:
        i = data.draw(st.integers(0, len(token) - 1))
        letter = data.draw(st.sampled_from(alphabet.replace(token[i], "")))
        return token[:i] + letter + token[i + 1 :]

    original = Person(given_name, family_name, DOB)
    twice = Person(
        substituted(given_name, "abcdefghijklm"), substituted(family_name, "nopqrstuvwxyz"), DOB
    )
    # when compared, then no match: one typo is tolerated, not two
    assert not _matches(original, twice)


# --- Blocking keys --------------------------------------------------------------------


@hypothesis_settings(max_examples=200)
@given(related_pairs(MATCHING_RELATIONS) | st.builds(lambda p: (p, p), unicode_people))
def test_it_gives_every_matching_pair_a_shared_blocking_key(pair):
    # given two people that match
    a, b = pair
    assert _matches(a, b)
    # when their blocking keys are computed
    # then they share one, so an indexed "any key in keys" query finds the candidate
    assert set(name_keys(a.given, a.family)) & set(name_keys(b.given, b.family))


@hypothesis_settings(max_examples=200)
@given(
    tokens(min_size=4, max_size=12).flatmap(lambda t: st.tuples(st.just(t), typo_of(t))),
    st.booleans(),
)
def test_it_gives_a_one_token_name_and_its_typo_a_shared_key(spellings, as_given_name):
    # given a one-token name and a typo of it (the hard case: no other token to share)
    original, mistyped = spellings
    keys_of = (lambda t: name_keys(t, "")) if as_given_name else (lambda t: name_keys(None, t))
    # when keys are computed, then they still share one
    assert set(keys_of(original)) & set(keys_of(mistyped))


def test_it_makes_order_and_spelling_independent_keys():
    # given the same name in two orders and two spellings
    keys = name_keys("Bjørn", "Ødegård")
    # then the keys are identical, sorted, and hold the strict and loose spellings
    assert keys == name_keys("Oedegaard", "Bjoern")
    assert list(keys) == sorted(keys)
    assert {"bjoern", "bjorn", "oedegaard", "odegard", "bjoernoedegaard"} <= set(keys)


def test_it_gives_no_keys_for_an_empty_name():
    # given no name; when keys are computed; then none (nothing to look up by)
    assert name_keys("", None) == ()
