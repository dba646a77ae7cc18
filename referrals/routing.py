"""Deciding which agencies receive a referral, and why.

The rules are data (RoutingRule, loaded with DOMAIN.md section 5 and editable in the
admin). A rule's target kind resolves to one concrete agency by the child's municipality
(the reporting agency's when the child's is unknown) and its police district. One routing
per agency, naming every rule that sent it there. No rule matched → the municipality's
child welfare service reviews it.
"""

from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency, Municipality

from .models import LegalBasis, RoutingRule

MIGRATION_CATEGORY = "E"
FALLBACK_LEGAL_BASIS = "consent"
# Agency kinds found by the municipality; the rest by the police district.
MUNICIPAL_KINDS = {Agency.Kind.CHILD_WELFARE, Agency.Kind.CHILD_WELFARE_EMERGENCY, Agency.Kind.SLT,
                   Agency.Kind.HEALTH, Agency.Kind.SCHOOL, Agency.Kind.OTHER}


@dataclass(frozen=True)
class Facts:
    """What the rules look at, taken from a referral (or a draft of one)."""

    categories: frozenset[str]
    indicators: frozenset[str]
    duty_triggers: frozenset[str]
    urgency: str
    child_age: int | None
    unaccompanied_minor: bool

    @property
    def migration_linked(self) -> bool:
        return MIGRATION_CATEGORY in self.categories or self.unaccompanied_minor


@dataclass
class RoutingDecision:
    agency: Agency
    rules: list[RoutingRule] = field(default_factory=list)
    legal_basis: LegalBasis | None = None
    is_fallback: bool = False


def age_on(day: date, date_of_birth: date | None, estimated_age: int | None) -> int | None:
    if date_of_birth is None:
        return estimated_age
    return day.year - date_of_birth.year - ((day.month, day.day) < (date_of_birth.month, date_of_birth.day))


def facts_for(referral) -> Facts:
    child = referral.child
    return Facts(
        categories=frozenset(referral.categories.values_list("code", flat=True)),
        indicators=frozenset(referral.indicators.values_list("code", flat=True)),
        duty_triggers=frozenset(referral.duty_triggers),
        urgency=referral.urgency,
        child_age=age_on(timezone.localdate(), child.date_of_birth, child.estimated_age),
        unaccompanied_minor=child.unaccompanied_minor,
    )


def rule_matches(rule: RoutingRule, facts: Facts) -> bool:
    """Every condition that is set must hold; within one, any listed value is enough."""
    categories = {c.code for c in rule.categories.all()}
    indicators = {i.code for i in rule.indicators.all()}
    checks = [
        not categories or bool(categories & facts.categories),
        not indicators or bool(indicators & facts.indicators),
        rule.any_duty_trigger is None or rule.any_duty_trigger == bool(facts.duty_triggers),
        not rule.duty_triggers or bool(set(rule.duty_triggers) & facts.duty_triggers),
        not rule.urgencies or facts.urgency in rule.urgencies,
        rule.child_younger_than is None or (facts.child_age is not None
                                            and facts.child_age < rule.child_younger_than),
        rule.migration_linked is None or rule.migration_linked == facts.migration_linked,
    ]
    return all(checks)


def matching_rules(facts: Facts) -> list[RoutingRule]:
    rules = (RoutingRule.objects.filter(is_active=True).select_related("legal_basis")
             .prefetch_related("categories", "indicators").order_by("priority", "name"))
    return [rule for rule in rules if rule_matches(rule, facts)]


def resolve_agency(kind: str, municipality: Municipality) -> Agency | None:
    """The agency of a kind that serves the municipality (or its police district)."""
    agencies = Agency.objects.filter(kind=kind, is_active=True).order_by("pk")
    if kind in MUNICIPAL_KINDS:
        return agencies.filter(municipality=municipality).first()
    district = municipality.police_district
    local = agencies.filter(police_district=district).first() if district else None
    # A national unit (no municipality, no district) serves everywhere: e.g. the immigration police.
    return local or agencies.filter(municipality__isnull=True, police_district__isnull=True).first() \
        or agencies.filter(municipality=municipality).first()


def decide(referral) -> tuple[list[RoutingDecision], list[str]]:
    """The routings for a referral, and the target kinds no agency could be found for."""
    municipality = referral.child.municipality
    decisions: dict[int, RoutingDecision] = {}
    unresolved: list[str] = []
    for rule in matching_rules(facts_for(referral)):
        agency = resolve_agency(rule.target_kind, municipality)
        if agency is None:
            unresolved.append(rule.target_kind)
            continue
        decision = decisions.setdefault(agency.pk, RoutingDecision(agency=agency, legal_basis=rule.legal_basis))
        decision.rules.append(rule)
    child_welfare = resolve_agency(Agency.Kind.CHILD_WELFARE, municipality)
    if not decisions or unresolved:
        # Nothing may fall between two chairs: child welfare reviews what no rule, or no
        # registered agency, could take.
        if child_welfare is None:
            raise ValidationError({"municipality": _(
                "No child welfare service is registered for %(municipality)s, so the referral "
                "cannot be delivered. Contact your administrator."
            ) % {"municipality": municipality.name}})
        if child_welfare.pk not in decisions:
            decisions[child_welfare.pk] = RoutingDecision(
                agency=child_welfare, legal_basis=LegalBasis.objects.get(code=FALLBACK_LEGAL_BASIS),
                is_fallback=True,
            )
    return list(decisions.values()), sorted(set(unresolved))
