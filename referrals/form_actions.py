"""The shape shared by the small POST forms of the pages (a withdrawal, an attached document,
a reporter's consent): validate the form, call one service with its cleaned data, and turn
every problem into a message for the page the view redirects to."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError

from config.exceptions import ConflictError


def perform(request, form, service, **arguments):
    """The service's result, or None when the form or the service refused (the reasons are
    queued as error messages)."""
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return None
    try:
        return service(actor=request.user, **arguments, **form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except (ConflictError, PermissionDenied) as exc:
        messages.error(request, getattr(exc, "message", None) or str(exc))
    return None
