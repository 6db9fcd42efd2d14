"""A path converter for database ids: 1 to 18 digits, so an absurd id is a 404, never an overflow (500).

Registered once, as ``dbid``, when this module is imported (by the community URL modules)."""

from django.urls import register_converter


class IdConverter:
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(int(value))


register_converter(IdConverter, "dbid")
