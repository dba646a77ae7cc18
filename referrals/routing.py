"""Deciding which agencies receive a referral, and why.

For now one rule: every concern is reviewed by the child welfare service of the child's
municipality (barnevernsloven § 2-1). The admin-editable rule set of DOMAIN.md section 5
replaces this module's single rule with data.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agencies.models import Agency

from .models import Referral


# Why an agency received a referral, in words shown to the people who work on it.
REASONS = {
    "child_welfare_of_municipality": gettext_lazy(
        "Every concern about a child is reviewed by the child welfare service of the "
        "child's municipality."
    ),
}
# Legal bases by code. The consent and legal-basis work turns these into editable data.
LEGAL_BASES = {
    "bvl-2-1": gettext_lazy("Child Welfare Act (barnevernsloven) § 2-1: review of a concern report"),
}


def reason_text(code: str) -> str:
    return str(REASONS.get(code, code))


def legal_basis_text(code: str) -> str:
    return str(LEGAL_BASES.get(code, code))


@dataclass(frozen=True)
class RoutingDecision:
    agency: Agency
    reason: str
    legal_basis: str


def decide(referral: Referral) -> list[RoutingDecision]:
    municipality = referral.child.municipality
    agency = (
        Agency.objects.filter(
            kind=Agency.Kind.CHILD_WELFARE, municipality=municipality, is_active=True
        )
        .order_by("pk")
        .first()
    )
    if agency is None:
        raise ValidationError(
            {"municipality": _("No child welfare service is registered for %(municipality)s.")
             % {"municipality": municipality.name}}
        )
    return [
        RoutingDecision(
            agency=agency,
            reason="child_welfare_of_municipality",
            legal_basis="bvl-2-1",
        )
    ]
