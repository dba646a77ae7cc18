"""Request context for the audit trail: request id, client IP and user agent.

The middleware puts them in a context variable for the length of a request; the recorder
reads them from there, so services need not pass the request around.
"""

import ipaddress
import re
import uuid
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    ip_address: str | None = None
    user_agent: str = ""


_current: ContextVar[RequestContext] = ContextVar("audit_request_context", default=RequestContext())
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def current() -> RequestContext:
    return _current.get()


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    proxies = settings.SAMVIRKE_TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [p for p in forwarded if p]
        if len(forwarded) >= proxies:
            return _valid_ip(forwarded[-proxies])
    return _valid_ip(request.META.get("REMOTE_ADDR", ""))


def context_from_request(request) -> RequestContext:
    incoming = request.META.get("HTTP_X_REQUEST_ID", "")
    request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
    return RequestContext(
        request_id=request_id,
        ip_address=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
    )


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        context = context_from_request(request)
        request.audit_context = context
        token = _current.set(context)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response["X-Request-ID"] = context.request_id
        return response
