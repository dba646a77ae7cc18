"""Bokmål by default for the pages: the language a person chose (the language switch's
cookie) wins, and a browser's Accept-Language does not override the default. API clients
may still ask for English with Accept-Language."""


class DefaultLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/"):
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


class RejectNulMiddleware:
    """A NUL character in the path or the query string is refused with 400 before any view
    runs: nothing legitimate contains one, and PostgreSQL refuses it in a query (a 500).
    (Form fields and API bodies refuse it themselves, with a field message.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", "") or any(
                "\x00" in value for values in request.GET.lists() for value in values[1]):
            from .errors import bad_request

            return bad_request(request, None)
        return self.get_response(request)


class RejectEmptyApiParametersMiddleware:
    """An API query parameter given with no value (``?status=``) is refused with 400 and a
    message per parameter, instead of being read as if it were absent: the schema says
    what each parameter takes, and an empty value is none of it. (The HTML pages keep
    reading an empty filter as "any": their forms send empty fields.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/v1/"):
            empty = sorted({name for name, values in request.GET.lists() if any(not v.strip() for v in values)})
            if empty:
                from django.http import JsonResponse
                from django.utils.translation import gettext as _

                message = _("Give a value, or leave the parameter out.")
                return JsonResponse({name[:40]: [message] for name in empty}, status=400)
        return self.get_response(request)
