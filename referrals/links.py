"""Identifiers that are not persons (usernames, channels, phone numbers, payment
references, aliases) and the links they make between referrals.

The same identifier in two referrals is shown to coordinators of agencies that received
both; a coordinator without access to the other referral sees that a link exists, not
its content.
"""

import re
from dataclasses import dataclass

from .models import Identifier, Referral

_PHONE_NOISE = re.compile(r"[^\d+]")


def normalize_identifier(kind: str, value: str) -> str:
    value = (value or "").strip()
    if kind == Identifier.Kind.PHONE:
        digits = _PHONE_NOISE.sub("", value)
        if digits.startswith("+47"):
            digits = digits[3:]
        elif digits.startswith("0047"):
            digits = digits[4:]
        return digits.lstrip("+")
    value = value.casefold()
    if kind in (Identifier.Kind.USERNAME, Identifier.Kind.CHANNEL):
        value = value.lstrip("@#")
    return " ".join(value.split())


@dataclass(frozen=True)
class Link:
    identifier: Identifier
    other: Referral
    visible: bool


def links_for(referral: Referral, *, can_see) -> list[Link]:
    """Other submitted referrals that share an identifier with this one. `can_see(other)`
    decides whether the reader may see the other referral's content."""
    own = list(referral.identifiers.all())
    if not own:
        return []
    matches = (
        Identifier.objects.filter(
            kind__in={i.kind for i in own}, normalized__in={i.normalized for i in own},
            referral__status=Referral.Status.SUBMITTED,
        )
        .exclude(referral=referral)
        .select_related("referral")
        .order_by("referral__submitted_at", "pk")
    )
    by_key = {(i.kind, i.normalized): i for i in own}
    links = []
    for match in matches:
        mine = by_key.get((match.kind, match.normalized))
        if mine is not None:
            links.append(Link(identifier=mine, other=match.referral, visible=can_see(match.referral)))
    return links
