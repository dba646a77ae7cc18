from agencies import roles

from . import selectors
from .models import Handover


def inbox(request):
    """The unread count shown in the header on every page, and for those who receive
    handovers, how many await acknowledgement."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    context = {"unread_notifications": selectors.unread_count(user=user)}
    if roles.can(user, roles.ANSWER_HANDOVER) or roles.can(user, roles.SEND_HANDOVER):
        context["shows_handovers"] = True
        context["pending_handovers"] = selectors.handover_list(
            user=user, box="received", status=Handover.Status.PENDING).count()
    return context
