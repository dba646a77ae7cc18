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
