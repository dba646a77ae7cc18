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
