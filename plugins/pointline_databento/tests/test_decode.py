"""The columnar decode equals the vendor's decoder, field by field, on every real file.

The numpy layouts in :mod:`pointline_databento.records` are checked against
``databento_dbn.DBNDecoder`` (the oracle) for both encodings of each real file (plain DBN v2
and zstd DBN v3); broken files raise ParseError naming the file and what is wrong.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import zstandard
from dbn_testkit import decoded
from pointline_databento.dbnfile import read_header, record_batches
from pointline_databento.records import LAYOUT_OF_SCHEMA

from pointline_core.errors import ParseError

SCHEMAS = sorted(s for s in LAYOUT_OF_SCHEMA if s not in ("tcbbo", "cbbo-1m", "ohlcv-eod"))


def _oracle_value(record: object, field: str) -> object:
    if field[-3] == "_" and field[-2:].isdigit():  # level field, e.g. bid_px_03
        record, field = record.levels[int(field[-2:])], field[:-3]
    value = getattr(record, field)
    value = getattr(value, "value", value)
    return value.encode() if isinstance(value, str) else int(value)


@pytest.mark.parametrize("schema", SCHEMAS)
@pytest.mark.parametrize("suffix", [".dbn", ".v3.dbn.zst"])
def test_every_field_equals_the_vendor_decoder(real_dir: Path, schema: str, suffix: str):
    path = real_dir / f"test_data.{schema}{suffix}"
    _meta, records = decoded(path)
    arrays = [arr for _h, arr in record_batches(path, 1)]  # one record per batch
    assert len(arrays) == len(records)
    for arr, record in zip(arrays, records, strict=True):
        for field in arr.dtype.names:
            if field.startswith("_") or field == "length":
                continue
            got = arr[field][0]
            got = bytes(got) if isinstance(got, bytes | np.bytes_) else int(got)
            assert got == _oracle_value(record, field), (schema, field)


def test_header_is_read_alone_and_names_dataset_schema_and_mappings(real_dir: Path):
    header = read_header(real_dir / "test_data.trades.v3.dbn.zst")
    assert (header.dataset, header.schema, header.version) == ("GLBX.MDP3", "trades", 3)
    assert [(i.instrument_id, i.raw_symbol) for i in header.intervals] == [(5482, "ESH1")]
    assert read_header(real_dir / "test_data.trades.dbn").version == 2


def test_the_header_only_file_yields_no_batches(real_dir: Path):
    assert list(record_batches(real_dir / "test_data.ohlcv-1d.v3.dbn.zst", 10)) == []


def test_a_truncated_record_is_a_parse_error(tmp_path: Path, real_dir: Path):
    cut = tmp_path / "cut.dbn"
    cut.write_bytes((real_dir / "test_data.mbo.dbn").read_bytes()[:-9])
    with pytest.raises(ParseError, match=r"ends inside record 1 .*cut\.dbn"):
        list(record_batches(cut, 1))


def test_a_corrupt_zstd_stream_is_a_parse_error(tmp_path: Path, real_dir: Path):
    data = (real_dir / "test_data.mbp-10.v3.dbn.zst").read_bytes()
    bad = tmp_path / "bad.dbn.zst"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(ParseError, match="bad.dbn.zst"):
        list(record_batches(bad, 100))


def test_not_a_dbn_file_is_a_parse_error(tmp_path: Path):
    path = tmp_path / "x.dbn.zst"
    path.write_bytes(zstandard.ZstdCompressor().compress(b"hello,world\n"))
    with pytest.raises(ParseError, match="not a DBN file"):
        read_header(path)


def test_records_of_another_size_are_refused(tmp_path: Path, real_dir: Path):
    # An mbo header followed by trades records (48 bytes, not 56): never silently misread.
    mbo = (real_dir / "test_data.mbo.dbn").read_bytes()
    trades = (real_dir / "test_data.trades.dbn").read_bytes()
    mbo_header = 8 + int.from_bytes(mbo[4:8], "little")
    trades_header = 8 + int.from_bytes(trades[4:8], "little")
    body = trades[trades_header:] + trades[trades_header:][:16]  # 112 bytes = 2 mbo sizes
    path = tmp_path / "mixed.dbn"
    path.write_bytes(mbo[:mbo_header] + body)
    with pytest.raises(ParseError, match="length 48 bytes, expected 56"):
        list(record_batches(path, 10))
