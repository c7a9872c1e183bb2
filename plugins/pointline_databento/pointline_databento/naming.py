"""Discover: recognise Databento files by name, then confirm them by their DBN header.

Two layouts are recognised under ``<bronze>/databento/``:

* batch-download names: ``glbx-mdp3-20201228.trades.dbn.zst`` (dataset lower-cased with
  ``-`` for ``.``, the date, the schema; plain ``.dbn`` too), in any folder;
* a dataset/schema/date tree: ``GLBX.MDP3/trades/2020-12-28.dbn.zst``.

The name's dataset and schema must equal the ones in the file's metadata header (read alone,
a few hundred bytes); a file whose name disagrees with its header is reported unrecognised
with both, so a misfiled download never lands under the wrong table. A file whose header
cannot be read at all is listed by its name: parse then fails it with the reason.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import attrs

from pointline_core.errors import ParseError
from pointline_core.listing import list_vendor_files
from pointline_core.models import BronzeFile, Unrecognised
from pointline_databento.exchanges import exchange_of
from pointline_databento.formats import DATA_TYPES_OF_SCHEMA, NOT_INGESTED

VENDOR = "databento"
_SUFFIXES = (".dbn.zst", ".dbn")
_BATCH_RE = re.compile(
    r"^(?P<dataset>[a-z0-9]+-[a-z0-9]+)-(?P<date>\d{8})\.(?P<schema>[a-z0-9-]+)\.dbn(\.zst)?$"
)
_TREE_DATE_RE = re.compile(r"^(?P<date>\d{4}-\d{2}-\d{2})\.dbn(\.zst)?$")
_DATASET_RE = re.compile(r"^[A-Z0-9]+\.[A-Z0-9]+$")


class NotADatabentoFile(ValueError):
    """A path under the vendor folder that this plugin does not ingest (the reason)."""


@attrs.frozen(slots=True)
class NamedFile:
    """What a file's path says: dataset, schema and date."""

    dataset: str
    schema: str
    date: dt.date


def _date(text: str, fmt: str, name: str) -> dt.date:
    try:
        return dt.datetime.strptime(text, fmt).date()
    except ValueError:
        raise NotADatabentoFile(f"{name}: {text!r} is not a valid date") from None


def parse_rel_path(parts: tuple[str, ...]) -> NamedFile:
    """Dataset, schema and date from a path relative to the vendor folder (its components;
    either layout)."""
    name = parts[-1]
    if name.startswith("."):
        raise NotADatabentoFile("hidden file")
    if not name.endswith(_SUFFIXES):
        raise NotADatabentoFile("not a DBN file (.dbn.zst or .dbn)")
    batch = _BATCH_RE.match(name)
    if batch is not None:
        dataset = batch["dataset"].upper().replace("-", ".")
        return NamedFile(dataset, batch["schema"], _date(batch["date"], "%Y%m%d", name))
    tree = _TREE_DATE_RE.match(name)
    if tree is not None and len(parts) >= 3 and _DATASET_RE.match(parts[-3]):
        return NamedFile(parts[-3], parts[-2], _date(tree["date"], "%Y-%m-%d", name))
    raise NotADatabentoFile(
        "name matches neither a batch download <dataset>-<YYYYMMDD>.<schema>.dbn[.zst] "
        "(e.g. glbx-mdp3-20201228.trades.dbn.zst) nor <DATASET>/<schema>/<YYYY-MM-DD>.dbn[.zst]"
    )


def classify(
    path: Path, parts: tuple[str, ...]
) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """``(data_types, meta)`` of an ingestible file (``parts``: its path relative to the
    vendor folder); raises NotADatabentoFile with the reason."""
    named = parse_rel_path(parts)
    try:
        from pointline_databento.dbnfile import read_header  # see hooks.py: imported on use

        header = read_header(path)
    except ParseError:
        # A broken download keeps its name's identity: parse then fails it with the reason,
        # so it shows up as a failed file rather than vanishing into "unrecognised".
        header = None
    if header is not None and (header.dataset, header.schema) != (named.dataset, named.schema):
        raise NotADatabentoFile(
            f"name says dataset {named.dataset} schema {named.schema} but the DBN header says "
            f"dataset {header.dataset} schema {header.schema}: rename the file after its "
            "header (or re-download it)"
        )
    if named.schema in NOT_INGESTED:
        raise NotADatabentoFile(f"schema {named.schema}: {NOT_INGESTED[named.schema]}")
    if named.schema not in DATA_TYPES_OF_SCHEMA:
        raise NotADatabentoFile(f"schema {named.schema} is not supported by this plugin")
    exchange = exchange_of(named.dataset)
    if exchange is None:
        raise NotADatabentoFile(
            f"dataset {named.dataset} has no exchange in this plugin "
            "(pointline_databento.exchanges.DATASETS); add it there"
        )
    meta = (
        ("dataset", named.dataset),
        ("date", named.date.isoformat()),
        ("exchange", exchange),
        ("schema", named.schema),
    )
    return DATA_TYPES_OF_SCHEMA[named.schema], meta


def discover(vendor_root: Path, bronze_root: Path) -> Iterator[BronzeFile | Unrecognised]:
    """Every file under ``vendor_root`` as BronzeFiles (one per data type) or an
    Unrecognised, sorted by rel_path."""
    found: list[BronzeFile | Unrecognised] = []
    for item in list_vendor_files(vendor_root, bronze_root):
        if item.problem is not None:
            found.append(Unrecognised(VENDOR, item.rel_path, item.problem))
            continue
        try:
            data_types, meta = classify(item.path, item.parts)
        except NotADatabentoFile as exc:
            found.append(Unrecognised(VENDOR, item.rel_path, str(exc)))
            continue
        found.extend(BronzeFile(VENDOR, t, item.path, item.rel_path, meta) for t in data_types)
    found.sort(key=lambda item: (item.rel_path, getattr(item, "data_type", "")))
    return iter(found)
