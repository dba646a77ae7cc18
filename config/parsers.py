"""The API's JSON parser, hardened against hostile bodies.

Every refusal is a 4xx with a message and never echoes the body (it may hold a child's
data): a body larger than DATA_UPLOAD_MAX_MEMORY_SIZE (413), bytes that are not UTF-8,
JSON that does not parse, nesting deeper than SAMVIRKE_MAX_JSON_DEPTH (which would
otherwise exhaust the parser's recursion: a 500), and a NUL character anywhere in a key or
a string (PostgreSQL cannot store one in text; nothing legitimate contains it) (400).
"""

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser
from rest_framework.utils import json


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "too_large"


def _nesting_depth(text: str) -> int:
    """The deepest nesting of arrays and objects, brackets inside strings ignored."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    return False


class SafeJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if limit is not None else stream.read()
        if limit is not None and len(raw) > limit:
            raise RequestTooLarge()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise exceptions.ParseError(_("The request body is not valid UTF-8.")) from None
        if _nesting_depth(text) > settings.SAMVIRKE_MAX_JSON_DEPTH:
            raise exceptions.ParseError(_("The JSON in the request body is nested too deeply."))
        try:
            data = json.loads(text) if self.strict else json.loads(text, parse_constant=None)
        except (ValueError, RecursionError):
            raise exceptions.ParseError(_("The request body is not valid JSON.")) from None
        if _has_nul(data):
            raise exceptions.ParseError(_("The request may not contain NUL characters."))
        return data
