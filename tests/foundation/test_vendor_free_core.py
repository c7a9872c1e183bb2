"""The core never names a vendor or a vendor-specific exchange."""

from __future__ import annotations

import re
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "pointline_core"
FORBIDDEN = re.compile(
    r"quant360|tardis|binance|deribit|bitmex|huobi|okex|bybit|coinbase|\bsse\b|\bszse\b|"
    r"shanghai|shenzhen|\bsh\b|\bsz\b|databento|\bdbn\b|globex|\bcme\b|\bglbx\b|\bxnas\b|"
    r"nasdaq",
    re.IGNORECASE,
)


def test_core_source_names_no_vendor_or_exchange():
    files = sorted(CORE.rglob("*.py"))
    assert len(files) > 10, "the scan must see the core's modules"
    hits = [
        f"{path.relative_to(CORE.parent)}:{lineno}: {line.strip()}"
        for path in files
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if FORBIDDEN.search(line)
    ]
    assert hits == [], "pointline_core must stay vendor-agnostic:\n" + "\n".join(hits)


def test_scan_pattern_catches_vendor_names():
    # Guards the guard: a pattern that matches nothing would pass the test above forever.
    for text in ("import quant360", "TARDIS", "exchange='sse'", "Deribit", "x_binance",
                 "import databento_dbn", "CME Globex", "exchange='glbx'", "XNAS.ITCH"):  # fmt: skip
        assert FORBIDDEN.search(text), text
    assert not FORBIDDEN.search("session assessed")
