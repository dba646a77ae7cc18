"""Words for people: why a referral reached an agency, shown on the page and in the API."""

from django.utils.translation import gettext as _

from agencies.models import Agency

from .models import Routing


def routing_reasons(routing: Routing) -> list[str]:
    reasons = [rule.reason for rule in routing.rules.all()]
    if routing.is_fallback:
        reasons.append(_(
            "No routing rule named this agency, so the child welfare service of the child's "
            "municipality reviews the referral."
        ))
    kinds = dict(Agency.Kind.choices)
    for kind in routing.unresolved_kinds:
        reasons.append(_(
            "The rules also name this kind of agency: %(kind)s. None is registered for the "
            "child's municipality, so forward the referral yourself."
        ) % {"kind": kinds.get(kind, kind)})
    return reasons
