"""URL converters of the application. ``<int:…>`` is bounded to the range of a database row id
(PostgreSQL ``INTEGER``, 32-bit signed): a larger number in a URL is simply no such object (404),
never a database error, and the OpenAPI document states the bound (flask-smorest reads the
converter's ``max``)."""
from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter, Map

ROW_ID_MAX = 2**31 - 1


class RowIdConverter(IntegerConverter):
    """``int`` with ``max`` defaulting to :data:`ROW_ID_MAX` (an explicit ``max`` still wins)."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", ROW_ID_MAX)
        super().__init__(url_map, *args, **kwargs)
