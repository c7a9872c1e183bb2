"""Records that cross the plugin boundary.

Every value a hook returns or receives is one of these frozen, slotted attrs classes (or a
polars frame), so plugins and the core never pass loose dicts to each other. They are plain
data: serialise them with :data:`pointline_core.serde.converter` (cattrs).
"""

from __future__ import annotations

from pathlib import Path

import attrs


@attrs.frozen(slots=True)
class VendorInfo:
    """What a plugin says about itself (returned by ``pointline_vendor_info``).

    ``name`` is the vendor name: it must equal the entry-point name and the Bronze folder
    ``<bronze_root>/<name>/`` the plugin owns. ``api_version`` is the
    :data:`pointline_core.PLUGIN_API_VERSION` the plugin was built against.
    """

    name: str
    version: str
    description: str
    data_types: tuple[str, ...]
    api_version: str


#: The conventional ``ExchangeInfo.asset_class`` values. The field is free text, but two
#: plugins declaring one exchange must spell it identically, so use one of these.
CONVENTIONAL_ASSET_CLASSES = (
    "equity",
    "crypto",
    "futures",
    "options",
    "fx",
    "fixed_income",
    "commodity",
    "multi",
)


@attrs.frozen(slots=True)
class ExchangeInfo:
    """Exchange metadata as data (returned by ``pointline_exchanges``).

    ``timezone`` is an IANA name; the exchange-local calendar day of an event is its
    ``trading_date``, unless ``trading_day_roll`` is set. ``asset_class`` is free text
    describing the exchange; use one of :data:`CONVENTIONAL_ASSET_CLASSES` (``multi`` for an
    exchange listing several classes).

    ``trading_day_roll`` (plugin API 2.1; ``"HH:MM"`` exchange-local, empty = midnight) is for
    venues whose trading day starts the evening before: an event at or after that local time
    belongs to the *next* calendar day's ``trading_date`` (a futures venue opening its
    Monday session at 17:00 on Sunday declares ``"17:00"``: Sunday 17:30 local is Monday's).
    It is wall-clock time, so it follows DST.

    Two plugins may declare the same exchange only if ``timezone``, ``asset_class``,
    ``trading_day_roll`` and ``calendar`` are equal; ``description`` may differ (the first
    plugin loaded keeps its own). Otherwise the later plugin fails to load with an
    ``ExchangeConflictError`` naming both.

    ``calendar`` is the exchange's trading-calendar code: a calendar name the
    ``exchange-calendars`` package knows, or ``24/7`` (every calendar day is a session, from
    local midnight to midnight). ``None`` means unknown: ``pointline calendar`` and
    ``completeness`` then say so instead of guessing.
    """

    name: str
    timezone: str
    asset_class: str
    description: str = ""
    calendar: str | None = None
    trading_day_roll: str = ""


@attrs.frozen(slots=True)
class BronzeFile:
    """One raw file a plugin can ingest (returned by ``pointline_discover``).

    ``path`` is absolute. ``rel_path`` is the path relative to the Bronze root with ``/``
    separators; together with ``vendor``, ``data_type`` and the content hash it is the file's
    identity in the ingest manifest. ``meta`` carries plugin-private facts the plugin worked out
    while discovering (for example the symbol encoded in the file name) as a tuple of
    ``(key, value)`` string pairs, so the record stays hashable; read it with
    :meth:`meta_dict`. Keys must be unique. The order is not checked and is not part of the
    file's identity, but keep the pairs sorted by key so the same file always gives an equal
    record.
    """

    vendor: str
    data_type: str
    path: Path
    rel_path: str
    meta: tuple[tuple[str, str], ...] = ()

    def meta_dict(self) -> dict[str, str]:
        return dict(self.meta)


@attrs.frozen(slots=True)
class Unrecognised:
    """A file under a vendor's Bronze folder that the vendor cannot ingest, and why.

    ``pointline_discover`` yields these next to :class:`BronzeFile` records so nothing under a
    vendor folder is silently ignored; the run report lists them.
    """

    vendor: str
    rel_path: str
    reason: str


@attrs.frozen(slots=True)
class ArchiveInfo:
    """A recognised upstream archive (returned by ``pointline_recognize_archive``).

    ``format`` names the container (``7z``, ``zip``); ``fields`` carries what the plugin read
    from the archive name (stream, exchange, date, ...) for its own later use in
    ``pointline_member_path``.
    """

    vendor: str
    name: str
    format: str
    fields: tuple[tuple[str, str], ...] = ()

    def fields_dict(self) -> dict[str, str]:
        return dict(self.fields)


@attrs.frozen(slots=True)
class MemberTarget:
    """Where one archive member is published, relative to ``<bronze_root>/<vendor>/``.

    A ``.gz`` suffix on ``rel_path`` makes the core gzip the member while publishing.
    """

    rel_path: str
