"""Domain errors raised by services, and how the API answers them.

Services raise django.core.exceptions.ValidationError for bad input (400 with field
messages), ConflictError when the current state forbids the action (409), and
django.http.Http404 for objects the actor may not see (a forbidden object and a missing
one answer alike).
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler


class ConflictError(Exception):
    """The action is not allowed in the object's current state."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class ApiConflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The request conflicts with the current state.")
    default_code = "conflict"


def validation_error_detail(error: DjangoValidationError) -> dict:
    """Field messages, nested like the request body: a service's "child.national_id"
    becomes {"child": {"national_id": [...]}}, as DRF reports its own nested errors."""
    if not hasattr(error, "error_dict"):
        return {"non_field_errors": [str(m) for m in error.messages]}
    detail: dict = {}
    for field, messages in error.message_dict.items():
        path = ["non_field_errors" if field == "__all__" else field][0].split(".")
        node = detail
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node.setdefault(path[-1], []).extend(str(m) for m in messages)
    return detail


def api_exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        return Response(validation_error_detail(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ConflictError):
        exc = ApiConflict(detail=exc.message)
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    return exception_handler(exc, context)
