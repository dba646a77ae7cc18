"""URL converters. ``<id:pk>``: a database id, at most 18 digits, so a number too large for
a bigint column answers 404 like any other missing object instead of failing in the
database. Importing this module registers it (each URL module that uses it imports it)."""

from django.urls import register_converter


class ObjectIdConverter:
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(int(value))


register_converter(ObjectIdConverter, "id")
