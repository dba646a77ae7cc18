from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """{{ counts.status|get_item:value }}: a dictionary value by a variable key."""
    if not isinstance(mapping, dict):
        return None
    return mapping.get(key)
