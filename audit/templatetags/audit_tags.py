from django import template

from agencies.models import Membership

register = template.Library()
_ROLES = dict(Membership.Role.choices)


@register.filter
def role_label(code: str) -> str:
    """{{ event.role|role_label }}: the role's name in the user's language ("—" if none)."""
    if not code:
        return "—"
    return str(_ROLES.get(code, code))
