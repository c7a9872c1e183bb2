"""Discovery of extracted Quant360 Bronze files.

Walks ``<bronze>/quant360/exchange=<sse|szse>/type=<stream>/date=<YYYY-MM-DD>/symbol=<code>/
<code>.csv.gz`` and yields a :class:`~pointline_core.models.BronzeFile` per file, with
``data_type`` = the stream (``order_new``, ``tick_new``, ``L2_new``) and ``meta`` = exchange,
date, symbol and market (``STK``/``ConFI``, derived from the code range). Everything else under
the folder is yielded as :class:`~pointline_core.models.Unrecognised` with the reason, except
the publisher's temporary files (``.pointline-tmp-*``, in flight or left by a killed extract),
which are skipped silently: they are never data and the next ``extract`` removes them. A
folder that cannot be listed (permission denied) is reported as unrecognised.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from pointline_core.models import BronzeFile, Unrecognised, unlistable_folder_reason
from pointline_quant360.naming import VENDOR, is_transient, market_of, parse_bronze_rel


def discover(vendor_root: Path, bronze_root: Path) -> Iterator[BronzeFile | Unrecognised]:
    """``pointline_discover``: every file under ``vendor_root``, in sorted path order."""
    vendor_root = Path(vendor_root)
    bronze_root = Path(bronze_root)
    if not vendor_root.is_dir():
        return
    paths: list[Path] = []
    unlisted: list[OSError] = []
    for dirpath, dirnames, filenames in os.walk(vendor_root, onerror=unlisted.append):
        dirnames.sort()
        paths.extend(Path(dirpath) / f for f in filenames if not is_transient(f))
    for exc in sorted(unlisted, key=lambda e: str(e.filename)):
        yield Unrecognised(
            VENDOR,
            Path(str(exc.filename)).relative_to(bronze_root).as_posix(),
            unlistable_folder_reason(exc),
        )
    for path in sorted(paths):
        rel_vendor = path.relative_to(vendor_root).as_posix()
        rel = path.relative_to(bronze_root).as_posix()
        parsed = parse_bronze_rel(rel_vendor)
        if isinstance(parsed, str):
            yield Unrecognised(VENDOR, rel, parsed)
            continue
        meta = (
            ("date", parsed.date),
            ("exchange", parsed.exchange),
            ("market", market_of(parsed.exchange, parsed.symbol)),
            ("symbol", parsed.symbol),
        )
        yield BronzeFile(VENDOR, parsed.stream, path, rel, meta)
