"""Keyset pagination shared by the list endpoints: an opaque cursor just past a page's last item."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime

MIN_LIMIT = 1
MAX_LIMIT = 100
DEFAULT_LIMIT = 20


class InvalidCursor(ValueError):
    """The cursor was not produced by this API (or was altered)."""


@dataclass(frozen=True)
class Cursor:
    """Position after an item sorted by (time, id), newest first."""

    at: datetime
    id: str

    def encode(self) -> str:
        """The cursor as an opaque, URL-safe string."""
        raw = json.dumps({"t": self.at.isoformat(), "i": self.id}, separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        """Read a cursor made by ``encode``; raises ``InvalidCursor`` otherwise."""
        try:
            padded = text + "=" * (-len(text) % 4)
            data = json.loads(base64.urlsafe_b64decode(padded.encode()))
            at = datetime.fromisoformat(data["t"])
            ident = data["i"]
        except (ValueError, KeyError, TypeError, binascii.Error) as error:
            raise InvalidCursor("cursor is not valid; pass next_cursor from a page") from error
        if not isinstance(ident, str) or at.tzinfo is None:
            raise InvalidCursor("cursor is not valid; pass next_cursor from a page")
        return cls(at=at, id=ident)


@dataclass(frozen=True)
class PageRequest:
    """How many items, and where to start."""

    limit: int = DEFAULT_LIMIT
    after: Cursor | None = None

    def __post_init__(self) -> None:
        if not MIN_LIMIT <= self.limit <= MAX_LIMIT:
            raise ValueError(f"limit must be between {MIN_LIMIT} and {MAX_LIMIT}")


def is_after(at: datetime, ident: str, cursor: Cursor | None) -> bool:
    """Whether an item sorted newest first comes after ``cursor``."""
    return cursor is None or (at, ident) < (cursor.at, cursor.id)
