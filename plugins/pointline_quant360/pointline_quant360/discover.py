"""Discovery of extracted Quant360 Bronze files.

Walks ``<bronze>/quant360/exchange=<sse|szse>/type=<stream>/date=<YYYY-MM-DD>/symbol=<code>/
<code>.csv.gz`` and yields a :class:`~pointline_core.models.BronzeFile` per file, with
``data_type`` = the stream (``order_new``, ``tick_new``, ``L2_new``) and ``meta`` = exchange,
date, symbol and market (``STK``/``ConFI``, derived from the code range). Everything else under
the folder is yielded as :class:`~pointline_core.models.Unrecognised` with the reason, except
the publisher's temporary files (``.pointline-tmp-*``, in flight or left by a killed extract),
which are skipped silently: they are never data and the next ``extract`` removes them. A
folder that cannot be listed, a broken link or a second link to one folder is reported as
unrecognised (:func:`pointline_core.listing.list_vendor_files`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pointline_core.listing import list_vendor_files
from pointline_core.models import BronzeFile, Unrecognised
from pointline_quant360.naming import VENDOR, is_transient, market_of, parse_bronze_rel


def discover(vendor_root: Path, bronze_root: Path) -> Iterator[BronzeFile | Unrecognised]:
    """``pointline_discover``: every file under ``vendor_root``, in sorted path order."""
    for item in list_vendor_files(vendor_root, bronze_root):
        if item.problem is not None:
            yield Unrecognised(VENDOR, item.rel_path, item.problem)
            continue
        if is_transient(item.name):
            continue
        parsed = parse_bronze_rel("/".join(item.parts))
        if isinstance(parsed, str):
            yield Unrecognised(VENDOR, item.rel_path, parsed)
            continue
        meta = (
            ("date", parsed.date),
            ("exchange", parsed.exchange),
            ("market", market_of(parsed.exchange, parsed.symbol)),
            ("symbol", parsed.symbol),
        )
        yield BronzeFile(VENDOR, parsed.stream, item.path, item.rel_path, meta)
