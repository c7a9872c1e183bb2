"""``PluginConformance``: the conformance suite as a base class for a plugin's own tests.

A plugin author subclasses it in a test module; pytest collects the inherited ``test_*``
methods, one per rule of the contract, so a failure names the rule that broke::

    from pointline_core.testing import PluginConformance, Sample

    class TestAcmeConformance(PluginConformance):
        vendor = "acme"
        plugin = pointline_acme.hooks  # optional: omit to test the installed entry point
        samples = [Sample(SAMPLES / "acme/xdemo/2024-01-02/DEMO.csv", "bars_1m",
                          {"acme_bars_1m": 30})]
        symbols = SAMPLES / "symbols.csv"

Nothing here imports pytest: the class is plain Python that pytest collects (skips are
``unittest.SkipTest``, failures ``AssertionError``), so importing ``pointline_core`` or this
module never pulls a test runner into production code.
"""

from __future__ import annotations

import atexit
import functools
import inspect
import shutil
import sys
import tempfile
import unittest
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, ClassVar

import attrs
import polars as pl

from pointline_core.ingest.report import IngestReport
from pointline_core.ingest.runner import IngestOptions
from pointline_core.models import BronzeFile
from pointline_core.plugins import ENTRY_POINT_GROUP, Plugins, load_plugins
from pointline_core.testing import checks
from pointline_core.testing.checks import ConformanceFailure, fail
from pointline_core.testing.samples import (
    Sample,
    SampleError,
    corrupt_file,
    keyed,
    layout_bronze,
    poison_tail,
    replicate_lines,
)


@attrs.define
class _ClassState:
    """What one concrete test class computed once and its test methods share."""

    workdir: Path
    samples: dict[str, Sample] | None = None
    symbols: object = None
    bronze: Path | None = None
    plugins: Plugins | None = None
    reference: tuple[Path, IngestReport] | None = None
    #: check name -> None (passed) or the exception it failed with, for checks run once
    outcomes: dict[str, BaseException | None] = attrs.Factory(dict)


_STATES: dict[type, _ClassState] = {}


def _cleanup(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def _skip(reason: str) -> None:
    """Skip the running test: through pytest when it is the runner (so the report points at
    the test), else with ``unittest.SkipTest``. Never imports pytest itself."""
    __tracebackhide__ = True
    pytest = sys.modules.get("pytest")
    if pytest is not None:
        pytest.skip(reason)
    raise unittest.SkipTest(reason)


#: The checks in the order their prerequisites come (a check only builds on earlier ones).
CHECK_ORDER = (
    "test_hook_implementations_match_the_hookspecs",
    "test_vendor_info_is_complete",
    "test_contributed_tables_are_valid",
    "test_every_data_type_maps_to_an_existing_table",
    "test_every_exchange_has_an_iana_timezone",
    "test_entry_point_and_api_version",
    "test_discover_finds_the_samples_and_nothing_else",
    "test_parse_yields_bounded_batches_in_file_order",
    "test_parse_does_not_materialise_the_whole_file",
    "test_parse_files_equals_parse_per_file",
    "test_canonicalize_returns_exactly_the_table_columns_and_dtypes",
    "test_canonicalize_files_equals_canonicalize_per_batch",
    "test_ingest_lands_the_expected_rows",
    "test_rerun_writes_nothing",
    "test_ingest_is_deterministic",
    "test_corrupted_sample_fails_naming_the_plugin",
)
#: check -> the checks it builds on directly. A check whose prerequisite fails does not run:
#: it fails with "prerequisite <check> failed", so one mistake is reported once, by the
#: check that names it, and not again as knock-on failures with unrelated advice.
PREREQUISITES: dict[str, tuple[str, ...]] = {
    "test_every_data_type_maps_to_an_existing_table": (
        "test_vendor_info_is_complete",
        "test_contributed_tables_are_valid",
    ),
    "test_discover_finds_the_samples_and_nothing_else": (
        "test_hook_implementations_match_the_hookspecs",
        "test_every_data_type_maps_to_an_existing_table",
        "test_every_exchange_has_an_iana_timezone",
    ),
    "test_parse_yields_bounded_batches_in_file_order": (
        "test_discover_finds_the_samples_and_nothing_else",
    ),
    "test_parse_does_not_materialise_the_whole_file": (
        "test_parse_yields_bounded_batches_in_file_order",
    ),
    "test_parse_files_equals_parse_per_file": ("test_parse_yields_bounded_batches_in_file_order",),
    "test_canonicalize_returns_exactly_the_table_columns_and_dtypes": (
        "test_parse_yields_bounded_batches_in_file_order",
    ),
    "test_canonicalize_files_equals_canonicalize_per_batch": (
        "test_canonicalize_returns_exactly_the_table_columns_and_dtypes",
    ),
    "test_ingest_lands_the_expected_rows": (
        "test_canonicalize_returns_exactly_the_table_columns_and_dtypes",
    ),
    "test_rerun_writes_nothing": ("test_ingest_lands_the_expected_rows",),
    "test_ingest_is_deterministic": ("test_ingest_lands_the_expected_rows",),
    "test_corrupted_sample_fails_naming_the_plugin": ("test_ingest_lands_the_expected_rows",),
}


def prerequisites_of(check: str) -> list[str]:
    """Every check ``check`` builds on, directly or not, in :data:`CHECK_ORDER`."""
    found: set[str] = set()
    todo = list(PREREQUISITES.get(check, ()))
    while todo:
        name = todo.pop()
        if name not in found:
            found.add(name)
            todo.extend(PREREQUISITES.get(name, ()))
    return [name for name in CHECK_ORDER if name in found]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _check(fn: Callable[..., None]) -> Callable[..., None]:
    """Run a conformance check after its prerequisites (see :data:`PREREQUISITES`).

    The outcome of a check without arguments is remembered for the test class, so running
    it as another check's prerequisite and then on its own runs it once and reports the
    same result."""
    name = fn.__name__
    cached = len(inspect.signature(fn).parameters) == 1

    @functools.wraps(fn)
    def run(self: PluginConformance, *args: Any, **kwargs: Any) -> None:
        __tracebackhide__ = True
        self._require(name)
        outcomes = self._state().outcomes
        if cached and name in outcomes:
            failure = outcomes[name]
            if failure is not None:
                raise failure
            return
        try:
            fn(self, *args, **kwargs)
        except Exception as exc:
            if cached and not isinstance(exc, unittest.SkipTest):
                outcomes.setdefault(name, exc)
            raise
        if cached:
            outcomes.setdefault(name, None)

    return run


class PluginConformance:
    """Base class of a plugin's conformance tests. Set the attributes, inherit the tests.

    Attributes to set:

    * ``vendor``: the vendor name (entry-point name, Bronze folder).
    * ``plugin``: the object holding the hook implementations (usually the hooks module),
      registered in-process; ``None`` loads the installed entry point instead. With an
      object, the entry point is still checked when the distribution is installed.
    * ``samples``: :class:`~pointline_core.testing.Sample` records; or override
      :meth:`make_samples` to generate them.
    * ``symbols``: a generic symbols file (CSV/Parquet with ``exchange, exchange_symbol,
      valid_from``), a polars frame of such rows, or ``None``; or override
      :meth:`make_symbols`. With ``symbols_vendor_format = True`` the file is read by the
      plugin's ``pointline_read_symbols``. Without symbols every row is quarantined as
      ``symbol_not_covered``.

    Tuning: ``probe_bytes`` (size of the large copy that proves ``parse`` streams),
    ``header_lines`` (lines the default large copy keeps once), ``batch_tolerance`` (how far
    above ``batch_rows`` a batch may go), ``ingest_batch_rows``.

    Methods to override when the defaults (line-oriented text, plain or gzip, header lines on
    top) do not fit the vendor's format, e.g. binary files or files kept zipped in Bronze:

    * ``make_large_copy(self, sample: Sample, source: Path, dest: Path, min_bytes: int) ->
      int``: write a *valid* file of the sample's format at ``dest`` whose uncompressed data
      is at least ``min_bytes`` (``probe_bytes``), and return how many rows ``parse`` must
      yield for it. ``source`` is the sample file, ``dest`` has the same relative path under
      another Bronze root, so ``discover`` must accept it; the suite creates ``dest``'s parent
      folder first. Default: :func:`~pointline_core.testing.samples.replicate_lines`, the
      ``header_lines`` then the data lines repeated (gzip if the sample is).
    * ``poison_tail(self, path: Path) -> None``: append, in place, one final record that
      ``parse`` must refuse (raise ``ParseError``) *after* yielding the records before it;
      everything before it stays valid. Default: a line of NUL and non-UTF-8 bytes (a second
      gzip member for gzip files).
    * ``corrupt(self, path: Path) -> None``: damage the copy of the largest sample at
      ``path`` in place so that ``parse`` must raise ``ParseError``, e.g. a truncated
      stream. Default: cut a gzip stream short, or cut a text file mid-line and append
      non-UTF-8 bytes.

    A check whose prerequisite fails (see :data:`PREREQUISITES`) does not run: it fails with
    ``prerequisite <check> failed ... fix <check> first``, so one mistake is reported by the
    check that names it.
    """

    vendor: ClassVar[str] = ""
    plugin: ClassVar[Any] = None
    samples: ClassVar[Sequence[Sample]] = ()
    symbols: ClassVar[Any] = None
    symbols_vendor_format: ClassVar[bool] = False
    probe_bytes: ClassVar[int] = 32 << 20
    header_lines: ClassVar[int] = 1
    batch_tolerance: ClassVar[float] = 1.5
    ingest_batch_rows: ClassVar[int] = 100_000
    #: batch_rows of the second ingest that proves the lake does not depend on batch sizes
    determinism_batch_rows: ClassVar[int] = 29

    # --- hooks for the plugin author ---------------------------------------------------------

    def make_samples(self, workdir: Path) -> Sequence[Sample]:
        """The samples (default: the ``samples`` attribute). Override to generate files
        into ``workdir``, a private folder kept for the whole test class."""
        return list(type(self).samples)

    def make_symbols(self, workdir: Path) -> object:
        """The symbols for dim_symbol (default: the ``symbols`` attribute)."""
        return type(self).symbols

    def make_large_copy(self, sample: Sample, source: Path, dest: Path, min_bytes: int) -> int:
        """Write a valid file of the sample's format at ``dest``, at least ``min_bytes`` large
        when uncompressed, and return the number of rows ``parse`` yields for it.

        ``dest``'s parent folder exists (the suite creates it; the default creates it too).
        Default: repeat the data lines after ``header_lines`` header lines (plain or gzip
        text)."""
        return replicate_lines(source, dest, min_bytes, self.header_lines)

    def poison_tail(self, path: Path) -> None:
        """Append, in place, one final record ``parse`` must refuse (``ParseError``) after
        yielding every record before it, at the very end of the large copy at ``path``.
        Default: a line of NUL and non-UTF-8 bytes (a second gzip member for gzip files)."""
        poison_tail(path)

    def corrupt(self, path: Path) -> None:
        """Corrupt the copy of the largest sample at ``path`` in place so that ``parse`` must
        refuse it with ``ParseError`` (no rows land). Default: truncate a gzip stream, or cut
        a text file mid-line and append non-UTF-8 bytes."""
        corrupt_file(path)

    # --- shared state ------------------------------------------------------------------------

    def _vendor(self) -> str:
        __tracebackhide__ = True
        vendor = type(self).vendor
        if not vendor:
            raise ConformanceFailure(
                f"{type(self).__name__} does not set `vendor`; set it to the plugin's vendor "
                "name (the entry-point name)"
            )
        return vendor

    def _state(self) -> _ClassState:
        __tracebackhide__ = True
        cls = type(self)
        state = _STATES.get(cls)
        if state is None:
            workdir = Path(tempfile.mkdtemp(prefix=f"pointline-conformance-{self._vendor()}-"))
            atexit.register(_cleanup, workdir)
            state = _STATES[cls] = _ClassState(workdir)
        return state

    def plugin_object(self) -> object:
        """The object holding the hooks: ``plugin``, or what the entry point loads."""
        __tracebackhide__ = True
        plugin = inspect.getattr_static(type(self), "plugin", None)
        if plugin is not None:
            return plugin
        vendor = self._vendor()
        found = [e for e in entry_points(group=ENTRY_POINT_GROUP) if e.name == vendor]
        if len(found) != 1:
            checks.check_entry_point(vendor, None)  # fails saying what is missing or doubled
        try:
            return found[0].load()
        except Exception as exc:  # noqa: BLE001 - reported with the fix
            raise fail(
                vendor,
                f"entry point {vendor} = {found[0].value!r} fails to import: "
                f"{type(exc).__name__}: {exc}",
                "make the hooks module importable from the installed distribution",
            ) from None

    def registry(self) -> Plugins:
        """The plugin registered alone in a :class:`Plugins` registry, as the core loads it."""
        __tracebackhide__ = True
        state = self._state()
        if state.plugins is None:
            if inspect.getattr_static(type(self), "plugin", None) is None:
                state.plugins = load_plugins(only=[self._vendor()], strict=False)
                if self._vendor() not in state.plugins.vendors:
                    errors = "; ".join(f.error for f in state.plugins.failures)
                    raise fail(
                        self._vendor(),
                        f"the installed plugin does not load: {errors or 'not installed'}",
                        "fix the load-time checks first, and install the plugin",
                    )
            else:
                state.plugins = checks.registered(self.plugin_object(), self._vendor())
        return state.plugins

    def bronze_samples(self) -> dict[str, Sample]:
        """``{key: sample}`` of the samples (key: the rel_path, plus ``[data_type]`` for a
        file sampled under several data types), made once per test class."""
        __tracebackhide__ = True
        state = self._state()
        if state.samples is None:
            made = list(self.make_samples(state.workdir / "input"))
            if not made:
                raise fail(
                    self._vendor(),
                    "the test class has no samples",
                    "set `samples = [Sample(path, data_type, {table: rows}), ...]` or override "
                    "make_samples()",
                )
            try:
                vendor = self._vendor()
                state.samples = keyed([(s.bronze_rel_path(vendor), s.data_type, s) for s in made])
            except SampleError as exc:
                raise ConformanceFailure(str(exc)) from None
            state.symbols = self.make_symbols(state.workdir / "input")
        return state.samples

    def bronze_root(self) -> Path:
        """A Bronze root holding exactly the samples (no strays), made once per class."""
        __tracebackhide__ = True
        state = self._state()
        if state.bronze is None:
            root = state.workdir / "bronze"
            self._layout(root)
            state.bronze = root
        return state.bronze

    def _layout(self, root: Path, strays: bool = False) -> dict[str, Sample]:
        __tracebackhide__ = True
        try:
            return layout_bronze(
                list(self.bronze_samples().values()), root, self._vendor(), strays=strays
            )
        except SampleError as exc:
            raise ConformanceFailure(str(exc)) from None

    def sample_files(self) -> list[BronzeFile]:
        """The samples as ``discover`` reports them (checked), in rel_path order."""
        __tracebackhide__ = True
        plugins = self.registry()
        samples = self.bronze_samples()
        files = checks.discover_items(plugins, self._vendor(), self.bronze_root())
        found = keyed([(f.rel_path, f.data_type, f) for f in files if isinstance(f, BronzeFile)])
        missing = sorted(set(samples) - set(found))
        if missing:
            raise fail(
                self._vendor(),
                f"discover does not find the samples {missing}, so this check cannot run",
                "fix test_discover_finds_the_samples_and_nothing_else first",
            )
        return [found[rel] for rel in sorted(samples)]

    def _symbols(self) -> object:
        __tracebackhide__ = True
        self.bronze_samples()
        return self._state().symbols

    def ingest_into(self, lake: Path, bronze: Path, batch_rows: int, stream: bool) -> IngestReport:
        """Import the symbols into ``lake`` and ingest ``bronze`` with the given batching."""
        __tracebackhide__ = True
        options = IngestOptions(
            batch_rows=batch_rows,
            stream_file_bytes=0 if stream else IngestOptions().stream_file_bytes,
        )
        return checks.run_ingest(
            self.registry(),
            self._vendor(),
            bronze,
            lake,
            self._symbols(),
            type(self).symbols_vendor_format,
            options,
        )

    def reference_ingest(self) -> tuple[Path, IngestReport]:
        """The samples ingested once into a lake kept for the class (read-only for tests)."""
        __tracebackhide__ = True
        state = self._state()
        if state.reference is None:
            lake = state.workdir / "lake"
            report = self.ingest_into(lake, self.bronze_root(), self.ingest_batch_rows, False)
            state.reference = (lake, report)
        return state.reference

    def _outcome(self, check: str) -> BaseException | None:
        """Run ``check`` once for this class (if not run yet); None if it passed or was
        skipped. Decorated checks record their own outcome; this also covers a subclass's
        undecorated override. A skip is not a failure and is not remembered (as in
        :func:`_check`)."""
        outcomes = self._state().outcomes
        if check not in outcomes:
            try:
                getattr(self, check)()
            except unittest.SkipTest:
                return None
            except Exception as exc:  # noqa: BLE001 - recorded, reported by the dependent
                outcomes.setdefault(check, exc)
            else:
                outcomes.setdefault(check, None)
        return outcomes[check]

    def _require(self, check: str) -> None:
        """Fail, naming the first failed prerequisite of ``check``, if there is one."""
        __tracebackhide__ = True
        for prerequisite in prerequisites_of(check):
            failure = self._outcome(prerequisite)
            if failure is not None and not isinstance(failure, unittest.SkipTest):
                raise fail(
                    self._vendor(),
                    f"prerequisite {prerequisite} failed, so {check} did not run "
                    f"(its failure: {_first_line(failure)})",
                    f"fix {prerequisite} first; this check runs once it passes",
                ) from None

    # --- the checks --------------------------------------------------------------------------

    @_check
    def test_entry_point_and_api_version(self) -> None:
        """The installed distribution's entry point loads this plugin, API major matches."""
        plugin = inspect.getattr_static(type(self), "plugin", None)
        try:
            checks.check_entry_point(self._vendor(), plugin)
        except unittest.SkipTest as skip:
            _skip(str(skip))
        checks.check_api_version(
            checks.plugin_vendor_info(self.plugin_object(), self._vendor()).api_version,
            self._vendor(),
        )

    @_check
    def test_hook_implementations_match_the_hookspecs(self) -> None:
        """pluggy accepts every implementation; required hooks exist and are decorated."""
        checks.check_hook_implementations(self.plugin_object(), self._vendor())

    @_check
    def test_vendor_info_is_complete(self) -> None:
        """Name, version, description, data types and API version are all usable."""
        checks.check_vendor_info(self.plugin_object(), self._vendor())

    @_check
    def test_contributed_tables_are_valid(self) -> None:
        """Tables from pointline_tables pass the core's TableSpec validation."""
        checks.check_tables(self.plugin_object(), self._vendor())

    @_check
    def test_every_data_type_maps_to_an_existing_table(self) -> None:
        """Each declared data type maps to a core table or one the plugin contributes."""
        checks.check_table_mapping(self.plugin_object(), self._vendor())

    @_check
    def test_every_exchange_has_an_iana_timezone(self) -> None:
        """Each exchange has a valid IANA timezone and an asset class."""
        checks.check_exchanges(self.plugin_object(), self._vendor())

    @_check
    def test_discover_finds_the_samples_and_nothing_else(self) -> None:
        """discover finds each sample with its data type, reports a stray file as
        Unrecognised, ignores other vendors' folders and copes with a missing folder."""
        state = self._state()
        root = state.workdir / "bronze-with-strays"
        if not root.exists():
            self._layout(root, strays=True)
        checks.check_discover(self.registry(), self._vendor(), root, self.bronze_samples())

    @_check
    def test_parse_yields_bounded_batches_in_file_order(self) -> None:
        """parse honours batch_rows and yields the same rows whatever the batch size."""
        checks.check_parse_batches(
            self.registry(), self._vendor(), self.sample_files(), self.batch_tolerance
        )

    @_check
    def test_parse_does_not_materialise_the_whole_file(self) -> None:
        """A large copy of the biggest sample streams: with an unreadable last line, parse
        yields rows before failing (see
        :func:`~pointline_core.testing.checks.check_parse_streams`)."""
        samples = self.bronze_samples()
        _key, sample = max(samples.items(), key=lambda kv: (kv[1].rows_total, kv[0]))
        rel = sample.bronze_rel_path(self._vendor())
        if sample.rows_total < 1:
            raise fail(self._vendor(), "no sample has rows", "add a sample with rows")
        clean_root = self._state().workdir / "bronze-large"
        bad_root = self._state().workdir / "bronze-large-bad-tail"
        for root in (clean_root, bad_root):
            shutil.rmtree(root, ignore_errors=True)
        try:
            (clean_root / rel).parent.mkdir(parents=True)
            rows = self.make_large_copy(sample, sample.path, clean_root / rel, self.probe_bytes)
            (bad_root / rel).parent.mkdir(parents=True)
            shutil.copyfile(clean_root / rel, bad_root / rel)
            self.poison_tail(bad_root / rel)
            clean, bad = (
                self._discover_one(root, rel, sample.data_type) for root in (clean_root, bad_root)
            )
            checks.check_parse_streams(self.registry(), self._vendor(), clean, rows, bad)
        finally:
            for root in (clean_root, bad_root):
                shutil.rmtree(root, ignore_errors=True)

    def _discover_one(self, root: Path, rel: str, data_type: str) -> BronzeFile:
        __tracebackhide__ = True
        found = [
            f
            for f in checks.discover_items(self.registry(), self._vendor(), root)
            if isinstance(f, BronzeFile) and (f.rel_path, f.data_type) == (rel, data_type)
        ]
        if not found:
            raise fail(
                self._vendor(),
                f"discover does not find the large copy at {rel}",
                "fix test_discover_finds_the_samples_and_nothing_else first",
            )
        return found[0]

    @_check
    def test_parse_files_equals_parse_per_file(self) -> None:
        """The optional many-file parse hook, if implemented, equals the per-file hook on
        every sample at once."""
        checks.check_parse_files(self.registry(), self._vendor(), self.sample_files())

    @_check
    def test_canonicalize_returns_exactly_the_table_columns_and_dtypes(self) -> None:
        """Every batch becomes exactly spec.vendor_columns() with the spec's dtypes."""
        checks.check_canonicalize(self.registry(), self._vendor(), self.sample_files())

    @_check
    def test_canonicalize_files_equals_canonicalize_per_batch(self) -> None:
        """The optional many-file hook, if implemented, equals the per-batch hook on every
        sample's batches at once."""
        checks.check_canonicalize_files(self.registry(), self._vendor(), self.sample_files())

    @_check
    def test_ingest_lands_the_expected_rows(self) -> None:
        """An end-to-end ingest into a temporary lake lands each sample's expected rows."""
        lake, report = self.reference_ingest()
        checks.check_ingest_counts(
            self.registry(), self._vendor(), report, self.bronze_samples(), lake
        )

    @_check
    def test_rerun_writes_nothing(self, tmp_path: Path) -> None:
        """A second ingest of the same Bronze files skips them all and changes no lake file."""
        lake, first = self.reference_ingest()
        copy = tmp_path / "lake"
        shutil.copytree(lake, copy)
        options = IngestOptions(batch_rows=self.ingest_batch_rows)
        checks.check_rerun_writes_nothing(
            self.registry(), self._vendor(), self.bronze_root(), copy, options, first
        )

    @_check
    def test_ingest_is_deterministic(self, tmp_path: Path) -> None:
        """Ingesting the samples again, each file streamed in tiny batches, gives the same
        rows (ids included) as the reference ingest."""
        lake, _ = self.reference_ingest()
        other = tmp_path / "lake"
        self.ingest_into(other, self.bronze_root(), self.determinism_batch_rows, True)
        plugins = self.registry()
        tables = [
            plugins.table_for(self._vendor(), s.data_type).name
            for s in self.bronze_samples().values()
        ]
        checks.check_same_lake_content(plugins, self._vendor(), tables, lake, other)

    @_check
    def test_corrupted_sample_fails_naming_the_plugin(self, tmp_path: Path) -> None:
        """A corrupted copy of the biggest sample fails with a reason naming the plugin,
        lands no rows, and the other samples still ingest."""
        samples = self.bronze_samples()
        _key, biggest = max(samples.items(), key=lambda kv: (kv[1].rows_total, kv[0]))
        rel = biggest.bronze_rel_path(self._vendor())
        bronze = tmp_path / "bronze"
        self._layout(bronze)
        self.corrupt(bronze / rel)
        lake = tmp_path / "lake"
        report = self.ingest_into(lake, bronze, self.ingest_batch_rows, False)
        checks.check_corrupted_sample_fails(
            self.registry(), self._vendor(), report, rel, lake, samples
        )


def frame_symbols(rows: Sequence[tuple[str, str, str]]) -> pl.DataFrame:
    """Generic symbol rows ``(exchange, exchange_symbol, valid_from)`` as a frame, for tests
    that prefer to declare symbols inline rather than in a file."""
    return pl.DataFrame(
        rows,
        schema={"exchange": pl.String, "exchange_symbol": pl.String, "valid_from": pl.String},
        orient="row",
    )
