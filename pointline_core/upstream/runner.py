"""``extract``: upstream archives -> extracted Bronze files, once, atomically, with a ledger.

Layout::

    <source_dir>/<vendor>/**/<archive>          what the vendor delivered
    <bronze_root>/<vendor>/<member target>      what ingestion reads (plugin-defined paths)
    <bronze_root>/_pointline/upstream_ledger/   one ledger record per archive (Delta)

For every file under a vendor's source folder (hidden files skipped, sorted by path):

1. skip it without reading it when the ledger has a success for the same (vendor, file name)
   with the same size and modification time (``rehash=True`` turns this off); otherwise hash
   it (sha256) and look up (vendor, file name, sha256): a success is skipped;
2. ask the owning plugin's ``pointline_recognize_archive`` what it is (a name it refuses is
   recorded as failed with the plugin's reason);
3. extract it whole, in one pass, into a private work folder (:mod:`.archive`), leaving out
   member names that are unsafe (absolute, ``..``) or stored twice; those are reported.
   Meanwhile every member the extractor has finished is compressed into its temporary
   Bronze file (:meth:`_Run._overlap`; kept only if its CRC-32 and size match the
   directory's), to be published in step 4 only if the whole extraction succeeds;
4. map every member with the plugin's ``pointline_member_path`` and publish it atomically and
   write-once under ``<bronze_root>/<vendor>/`` (:mod:`.publish`; members are compressed and
   published in parallel, one thread per CPU). Members the plugin rejects
   are reported and do not fail the archive; members whose target already exists are left
   untouched (so a rerun after a crash publishes only what is missing). The folders written
   into are flushed (``fsync``) before the outcome is recorded;
5. record success or failed, with counts, size, mtime and the reason, in the ledger (one
   commit per archive, so a killed run keeps what it finished).

A corrupt, truncated or encrypted archive, a plugin that raises something other than the
documented exceptions, or an I/O error while publishing makes that archive ``failed``; the
run goes on, except when the disk is full, the file system read-only, or the Bronze root not
writable by this user: that ends the run with one error naming the path (every further
archive would fail the same way; members already published stay, and a rerun publishes only
what is missing). A source entry that cannot be read (a dangling link, no permission) or is not a
regular file (a FIFO would block the reader) is reported ``failed`` without a ledger record
(it has no content hash to key one). A dry run hashes, recognises and lists members from the
archive directory without decompressing or writing anything (no ledger, no lock, no Bronze
file, no work folder).
"""

from __future__ import annotations

import itertools
import os
import posixpath
import stat
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import attrs

from pointline_core.errors import (
    ArchiveError,
    ArchiveNameError,
    MemberRejected,
    PluginContractError,
    PointlineError,
    RootLayoutError,
    UpstreamError,
)
from pointline_core.hashing import sha256_file
from pointline_core.models import ArchiveInfo, MemberTarget
from pointline_core.plugins import Plugins
from pointline_core.storage.environment import (
    DENIED,
    DISK_FULL,
    READ_ONLY,
    environment_error,
    os_errno,
)
from pointline_core.upstream.archive import (
    Backend,
    DirectoryEntry,
    Extracted,
    extract_archive,
    list_members,
    read_directory,
    screen_members,
    work_dir,
)
from pointline_core.upstream.ledger import (
    BRONZE_STATE_DIR,
    LedgerRecord,
    UpstreamLedger,
    now_us,
    open_ledger,
)
from pointline_core.upstream.publish import (
    Prepared,
    clean_stale_temps,
    commit_all,
    discard_prepared,
    fsync_dirs,
    is_temp_name,
    prepare_file,
    publish_files,
)

ArchiveStatus = Literal["success", "failed", "skipped", "planned"]
MemberStatus = Literal["published", "exists", "rejected", "ignored", "planned"]

RECOGNIZE = "pointline_recognize_archive"
MEMBER_PATH = "pointline_member_path"


@attrs.frozen(slots=True)
class MemberReport:
    """A member worth reporting: rejected, ignored, or empty (zero bytes)."""

    member: str
    status: MemberStatus
    target: str | None = None
    reason: str | None = None
    size_bytes: int | None = None


@attrs.frozen(slots=True)
class ArchiveReport:
    """The outcome for one archive.

    ``members_total`` counts member files; ``members_published`` those written by this run,
    ``members_existing`` those whose target was already there (left untouched),
    ``members_rejected`` / ``members_ignored`` what the plugin refused or skipped, and
    ``members_empty`` zero-byte members (published like the others). In a dry run
    ``members_published`` counts what would be published. ``issues`` lists every rejected,
    ignored or empty member. ``sha256`` is None only for a source entry that could not be
    read; ``hashed`` is False when a success was recognised by size and mtime alone.
    """

    vendor: str
    archive: str
    archive_name: str
    sha256: str | None
    size_bytes: int
    status: ArchiveStatus
    reason: str | None = None
    format: str | None = None
    backend: str | None = None
    members_total: int = 0
    members_published: int = 0
    members_existing: int = 0
    members_rejected: int = 0
    members_ignored: int = 0
    members_empty: int = 0
    issues: list[MemberReport] = attrs.Factory(list)
    note: str | None = None
    extract_s: float = 0.0
    publish_s: float = 0.0
    hashed: bool = True


@attrs.frozen(slots=True)
class ExtractReport:
    """The outcome of one ``extract`` run."""

    source_dir: str
    bronze_root: str
    ledger_path: str
    dry_run: bool
    vendors: list[str]
    archives: list[ArchiveReport]
    notes: list[str]
    archives_total: int
    archives_succeeded: int
    archives_failed: int
    archives_skipped: int
    members_published: int
    members_existing: int
    members_rejected: int
    elapsed_s: float
    archives_hashed: int = 0

    @property
    def ok(self) -> bool:
        return self.archives_failed == 0


def _safe_target(rel_path: object) -> str:
    """Check a plugin's target path; return it or raise PluginContractError."""
    if not isinstance(rel_path, str) or not rel_path:
        raise PluginContractError(f"target path must be a non-empty string, got {rel_path!r}")
    parts = rel_path.split("/")
    if (
        "\\" in rel_path
        or rel_path.startswith("/")
        or posixpath.normpath(rel_path) != rel_path
        or any(p in ("", ".", "..") for p in parts)
        or any(is_temp_name(p) for p in parts)
    ):
        raise PluginContractError(
            f"target path {rel_path!r} must be relative, normalised, without '..' and not "
            "start with the publisher's temporary prefix"
        )
    return rel_path


def _archives(vendor_dir: Path) -> list[Path]:
    out = []
    for dirpath, dirnames, filenames in os.walk(vendor_dir):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        out.extend(Path(dirpath) / f for f in filenames if not f.startswith("."))
    return sorted(out, key=lambda p: p.relative_to(vendor_dir).as_posix())


class _Run:
    def __init__(
        self,
        plugins: Plugins,
        bronze_root: Path,
        ledger: UpstreamLedger,
        dry_run: bool,
        backend: Backend,
        work_root: Path | None,
        rehash: bool = False,
    ) -> None:
        self.plugins = plugins
        self.bronze_root = bronze_root
        self.ledger = ledger
        self.known = ledger.load()
        self.succeeded_names = {
            (r.vendor, r.archive_name) for r in self.known.values() if r.status == "success"
        }
        # Successes by (vendor, name, size, mtime): an unchanged file is not re-hashed.
        self.by_stat = {
            (r.vendor, r.archive_name, r.size_bytes, r.mtime_ns): r
            for r in self.known.values()
            if r.status == "success" and r.size_bytes is not None and r.mtime_ns is not None
        }
        self.dry_run = dry_run
        self.backend = backend
        self.work_root = work_root
        self.rehash = rehash
        self.cleaned_dirs: set[Path] = set()
        # The plugin's answer for each member of the archive being extracted.
        self.targets: dict[str, MemberTarget | None | PointlineError] = {}
        # The archive being processed and its (size, mtime_ns) before it was hashed.
        self.current: tuple[Path, tuple[int, int]] | None = None
        # Successes found by hash whose size/mtime changed (or predate those columns): their
        # records get the current values, in one commit at the end of the run.
        self.refresh: list[LedgerRecord] = []

    # -- one archive ---------------------------------------------------------------------

    def archive(self, vendor: str, vendor_dir: Path, path: Path) -> ArchiveReport:
        self.targets = {}
        rel = path.relative_to(vendor_dir).as_posix()
        base: dict = {
            "vendor": vendor,
            "archive": rel,
            "archive_name": path.name,
            "sha256": None,
            "size_bytes": 0,
        }
        try:
            st = path.stat()
        except OSError as exc:
            return ArchiveReport(**base, status="failed", reason=f"cannot read: {_err(exc)}")
        if not stat.S_ISREG(st.st_mode):
            return ArchiveReport(
                **base, status="failed", reason="not a regular file (FIFO, socket or device)"
            )
        base["size_bytes"] = st.st_size
        seen = (st.st_size, st.st_mtime_ns)
        self.current = (path, seen)
        quick = None if self.rehash else self.by_stat.get((vendor, path.name, *seen))
        if quick is not None:
            return ArchiveReport(
                **{**base, "sha256": quick.sha256},
                status="skipped",
                reason="already extracted (ledger: success; same size and mtime, not re-hashed)",
                members_total=quick.members_total or 0,
                hashed=False,
            )
        try:
            base["sha256"] = sha = sha256_file(path)
        except OSError as exc:
            return ArchiveReport(**base, status="failed", reason=f"cannot read: {_err(exc)}")
        prev = self.known.get((vendor, path.name, sha))
        if prev is not None and prev.status == "success":
            if (prev.size_bytes, prev.mtime_ns) != seen and self._unchanged(path, seen):
                self.refresh.append(
                    attrs.evolve(prev, size_bytes=seen[0], mtime_ns=seen[1], updated_at_us=now_us())
                )
            return ArchiveReport(
                **base,
                status="skipped",
                reason="already extracted (ledger: success)",
                members_total=prev.members_total or 0,
            )
        note = None
        if (vendor, path.name) in self.succeeded_names:
            note = (
                "an archive with this name but other content was extracted before; its "
                "published files are kept (published files are never rewritten)"
            )
        try:
            info = self.plugins.call(vendor, RECOGNIZE, archive=path)
        except ArchiveNameError as exc:
            return self._failed(base, f"archive name refused: {exc}", note=note)
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not stop the run
            return self._failed(base, f"plugin {vendor!r} {RECOGNIZE} raised {_err(exc)}")
        if not isinstance(info, ArchiveInfo):
            return self._failed(
                base,
                f"plugin {vendor!r} {RECOGNIZE} returned {type(info).__name__}, "
                "expected ArchiveInfo",
            )
        if self.dry_run:
            return self._plan(base, info, path, note)
        return self._extract(base, info, path, note)

    @staticmethod
    def _unchanged(path: Path, seen: tuple[int, int]) -> bool:
        """True if ``path`` still has the size and mtime it had before it was hashed."""
        try:
            st = path.stat()
        except OSError:
            return False
        return (st.st_size, st.st_mtime_ns) == seen

    def _failed(
        self, base: dict, reason: str, note: str | None = None, **counts: object
    ) -> ArchiveReport:
        report = ArchiveReport(**base, status="failed", reason=reason, note=note, **counts)
        self._record(report)
        return report

    def _record(self, report: ArchiveReport) -> None:
        if self.dry_run or report.sha256 is None:
            return
        # Keep size and mtime only if the file did not change while it was read: a later run
        # trusts them to skip re-hashing.
        seen = None
        if self.current is not None and self._unchanged(*self.current):
            seen = self.current[1]
        self.ledger.upsert(
            [
                LedgerRecord(
                    vendor=report.vendor,
                    archive_name=report.archive_name,
                    sha256=report.sha256,
                    status="success" if report.status == "success" else "failed",
                    members_total=report.members_total,
                    members_published=report.members_published + report.members_existing,
                    members_rejected=report.members_rejected,
                    status_reason=report.reason,
                    size_bytes=seen[0] if seen else None,
                    mtime_ns=seen[1] if seen else None,
                )
            ]
        )

    def finish(self) -> None:
        """Write the size/mtime refreshes collected during the run (one commit)."""
        if self.refresh and not self.dry_run:
            self.ledger.upsert(self.refresh)
        self.refresh = []

    def _target(self, vendor: str, info: ArchiveInfo, member: str) -> MemberTarget | None:
        """Plugin's target for ``member``; MemberRejected passes through; anything else is a
        contract problem (PluginContractError) that fails the archive. The plugin is asked
        once per member of the archive being extracted (answers and refusals are kept in
        ``self.targets``)."""
        if member not in self.targets:
            try:
                self.targets[member] = self._ask_target(vendor, info, member)
            except (MemberRejected, PluginContractError) as exc:
                self.targets[member] = exc
        answer = self.targets[member]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def _overlap(
        self,
        vendor: str,
        info: ArchiveInfo,
        xroot: Path,
        directory: list[DirectoryEntry],
        excluded: dict[str, str],
        job: Future[Extracted],
        prepared: dict[str, Prepared],
    ) -> None:
        """While ``job`` extracts into ``xroot``, write every member it has finished to its
        temporary Bronze file (compressed, flushed; not published) into ``prepared``.

        One-pass extraction writes members in directory order, so a member is taken as
        finished once the next one exists; what was read is kept only if its CRC-32 and size
        equal the directory's (otherwise, and for every member not reached before the
        extraction ended, the member is published from the work folder afterwards). Nothing
        here publishes: final names are given only after the extraction succeeded.
        """
        files = [e for e in directory if e.name not in excluded]
        root = self.bronze_root / vendor
        for i, entry in enumerate(files):
            following = xroot / files[i + 1].name if i + 1 < len(files) else None
            while not job.done() and (following is None or not os.path.lexists(following)):
                time.sleep(0.0005)
            if job.done():
                return
            if entry.crc32 is None or entry.size == 0:
                continue
            try:
                target = self._target(vendor, info, entry.name)
                st = os.lstat(xroot / entry.name)
                if target is None or not stat.S_ISREG(st.st_mode) or st.st_size != entry.size:
                    continue
                dest = root / _safe_target(target.rel_path)
            except (MemberRejected, PluginContractError, OSError):
                continue  # reported (or retried) after the extraction
            self._clean(dest.parent)
            try:
                # No fsync yet: flushing while the extractor writes makes the file system
                # flush the extractor's data too; commit_all flushes these files afterwards.
                early = prepare_file(xroot / entry.name, dest, fsync=False)
            except OSError:
                continue  # published (or reported) after the extraction
            if early is None:
                continue
            if (early.crc32, early.size) == (entry.crc32, entry.size):
                prepared[entry.name] = early
            else:
                discard_prepared(early)

    def _ask_target(self, vendor: str, info: ArchiveInfo, member: str) -> MemberTarget | None:
        try:
            target = self.plugins.call(vendor, MEMBER_PATH, archive=info, member=member)
        except MemberRejected:
            raise
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not stop the run
            raise PluginContractError(
                f"plugin {vendor!r} {MEMBER_PATH} raised {_err(exc)} for member {member!r}"
            ) from exc
        if target is None:
            return None
        if not isinstance(target, MemberTarget):
            raise PluginContractError(
                f"plugin {vendor!r} {MEMBER_PATH} returned {type(target).__name__} for member "
                f"{member!r}, expected MemberTarget or None"
            )
        _safe_target(target.rel_path)
        return target

    def _map(
        self, vendor: str, info: ArchiveInfo, members: Iterable[str]
    ) -> tuple[list[tuple[str, str]], list[MemberReport]]:
        """(member, target) pairs to publish, and the rejected/ignored members."""
        plan: list[tuple[str, str]] = []
        issues: list[MemberReport] = []
        seen: dict[str, str] = {}
        for member in members:
            try:
                target = self._target(vendor, info, member)
            except MemberRejected as exc:
                issues.append(MemberReport(member, "rejected", reason=str(exc)))
                continue
            if target is None:
                issues.append(MemberReport(member, "ignored", reason="not a data member"))
                continue
            if target.rel_path in seen:
                issues.append(
                    MemberReport(
                        member,
                        "rejected",
                        target.rel_path,
                        f"same target as member {seen[target.rel_path]!r}",
                    )
                )
                continue
            seen[target.rel_path] = member
            plan.append((member, target.rel_path))
        return plan, issues

    def _plan(self, base: dict, info: ArchiveInfo, path: Path, note: str | None) -> ArchiveReport:
        vendor = base["vendor"]
        try:
            members = list_members(path, info.format)
            excluded = screen_members(members)
            unsafe = _excluded_reports(members, excluded)
            plan, issues = self._map(vendor, info, (m for m in members if m not in excluded))
            issues = unsafe + issues
        except (ArchiveError, PluginContractError) as exc:
            return self._failed(base, str(exc), note=note, format=info.format)
        root = self.bronze_root / vendor
        existing = sum(1 for _m, t in plan if (root / t).exists())
        return ArchiveReport(
            **base,
            status="planned",
            format=info.format,
            members_total=len(members),
            members_published=len(plan) - existing,
            members_existing=existing,
            members_rejected=sum(1 for i in issues if i.status == "rejected"),
            members_ignored=sum(1 for i in issues if i.status == "ignored"),
            issues=issues,
            note=note,
        )

    def _extract(
        self, base: dict, info: ArchiveInfo, path: Path, note: str | None
    ) -> ArchiveReport:
        vendor = base["vendor"]
        root = self.bronze_root / vendor
        published = existing = empty = 0
        issues: list[MemberReport] = []
        members: tuple[str, ...] = ()
        unsafe: list[MemberReport] = []
        written: set[Path] = set()
        backend = None
        # Members written to their temporary Bronze names while the extraction ran.
        prepared: dict[str, Prepared] = {}
        t0 = time.perf_counter()
        t1 = t0
        try:
            with work_dir(self.work_root) as tmp, _discarding(prepared):
                try:
                    # The directory only (cheap); names to leave out of the extraction.
                    directory = read_directory(path, info.format)
                except ArchiveError:
                    directory = []  # the extraction below says what is wrong with the archive
                names = sorted(e.name for e in directory)
                excluded = screen_members(names)
                with ThreadPoolExecutor(1, thread_name_prefix="pointline-extract") as pool:
                    job = pool.submit(
                        extract_archive,
                        path,
                        tmp / "x",
                        info.format,
                        self.backend,
                        exclude=excluded,
                    )
                    self._overlap(vendor, info, tmp / "x", directory, excluded, job, prepared)
                    extracted = job.result()
                backend = extracted.backend
                t1 = time.perf_counter()
                unsafe = _excluded_reports(names, excluded)
                members = extracted.members
                plan, issues = self._map(vendor, info, members)
                issues = unsafe + issues
                jobs: list[tuple[Path, Path]] = []
                ready: list[Prepared] = []
                for member, rel_target in plan:
                    src = extracted.root / member
                    if src.is_symlink() or not src.is_file():
                        issues.append(
                            MemberReport(member, "rejected", rel_target, "not a regular file")
                        )
                        continue
                    dest = root / rel_target
                    self._clean(dest.parent)
                    size = src.stat().st_size
                    if size == 0:
                        empty += 1
                        issues.append(
                            MemberReport(member, "published", rel_target, "empty member", 0)
                        )
                    # (Prepared files left over, committed or not, are removed on the way out.)
                    early = prepared.get(member)
                    if early is not None and early.dest == dest and early.size == size:
                        ready.append(early)
                    else:
                        jobs.append((src, dest))
                # Members written during the extraction only need their final names; the
                # rest are compressed and published in parallel (bounded by the CPUs).
                results = list(zip((p.dest for p in ready), commit_all(ready), strict=True))
                results += zip((d for _s, d in jobs), publish_files(jobs), strict=True)
                for dest, new in results:
                    if new:
                        published += 1
                        written.add(dest.parent)
                    else:
                        existing += 1
                # New directory entries reach the disk before the ledger says success.
                fsync_dirs(written, self.bronze_root)
        except (ArchiveError, PluginContractError) as exc:
            return self._failed(
                base,
                str(exc),
                note=note,
                format=info.format,
                backend=backend,
                members_total=len(members),
            )
        except OSError as exc:
            refusal = self._environment(exc)
            if refusal is not None:
                raise refusal from exc
            return self._failed(
                base,
                f"I/O error while extracting or publishing: {_err(exc)}",
                note=note,
                format=info.format,
                backend=backend,
                members_total=len(members),
                members_published=published,
                members_existing=existing,
            )
        t2 = time.perf_counter()
        report = ArchiveReport(
            **base,
            status="success",
            format=info.format,
            backend=backend,
            members_total=len(members) + len(unsafe),
            members_published=published,
            members_existing=existing,
            members_rejected=sum(1 for i in issues if i.status == "rejected"),
            members_ignored=sum(1 for i in issues if i.status == "ignored"),
            members_empty=empty,
            issues=issues,
            note=note,
            extract_s=round(t1 - t0, 4),
            publish_s=round(t2 - t1, 4),
        )
        self._record(report)
        return report

    def _environment(self, exc: OSError) -> PointlineError | None:
        """A full disk, a read-only file system, or a Bronze root this user may not write
        ends the run (every further archive would fail the same way); other I/O errors fail
        only the archive."""
        code = os_errno(exc)
        if code in DISK_FULL or code in READ_ONLY:
            return environment_error(exc, Path(exc.filename or self.bronze_root))
        if code in DENIED and exc.filename:
            target = Path(os.path.abspath(exc.filename))
            if target.is_relative_to(Path(os.path.abspath(self.bronze_root))):
                return environment_error(exc, target)
        return None

    def _clean(self, directory: Path) -> None:
        if directory not in self.cleaned_dirs:
            self.cleaned_dirs.add(directory)
            clean_stale_temps(directory)


@contextmanager
def _discarding(prepared: dict[str, Prepared]) -> Iterator[None]:
    """Remove the temporary files of prepared members that were not published."""
    try:
        yield
    finally:
        for early in prepared.values():
            discard_prepared(early)
        prepared.clear()


def _err(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _excluded_reports(names: Iterable[str], excluded: dict[str, str]) -> list[MemberReport]:
    """One rejected-member report per stored copy of each excluded name."""
    return [MemberReport(n, "rejected", reason=excluded[n]) for n in names if n in excluded]


#: At most this many files under SOURCE are shown to the plugins to say whose they are.
_LAYOUT_PROBE_FILES = 200


def _layout_problem(plugins: Plugins, source: Path, vendors: list[str], notes: list[str]) -> str:
    """Why nothing can be extracted from ``source`` (no vendor folder), and what to pass:
    names the vendor whose archives sit directly in ``source`` when a plugin recognises them."""
    layout = "the source layout is SOURCE/<vendor>/<archives>"
    # Stop after the probe's worth of files: a huge or mistyped SOURCE is not walked in full.
    walk = (Path(d) / f for d, _, names in os.walk(source) for f in names if not f.startswith("."))
    files = list(itertools.islice(walk, _LAYOUT_PROBE_FILES))
    candidates = vendors or [v for v in plugins.names() if plugins.implements(v, RECOGNIZE)]
    found: dict[str, int] = {}
    for vendor in candidates:
        for path in files:
            try:
                info = plugins.call(vendor, RECOGNIZE, archive=path)
            except Exception:  # noqa: BLE001 - not this vendor's archive (or a broken plugin)
                continue
            if isinstance(info, ArchiveInfo):
                found[vendor] = found.get(vendor, 0) + 1
    if found:
        vendor, count = max(found.items(), key=lambda kv: kv[1])
        return (
            f"nothing extracted: found {count} archive(s) of vendor {vendor!r} directly in "
            f"{source}, which has no vendor folder; pass its parent folder "
            f"({source.parent}) if this is the {vendor!r} folder ({layout}), or move the "
            f"archives into {source / vendor}"
        )
    known = ", ".join(candidates) or "none with archive hooks installed"
    extra = f" ({'; '.join(notes)})" if notes else ""
    return (
        f"nothing extracted: {source} has no folder named after a vendor that extracts "
        f"archives ({known}){extra}; {layout}"
    )


def extract(
    source_dir: Path | str,
    bronze_root: Path | str,
    vendors: Iterable[str] | None = None,
    dry_run: bool = False,
    plugins: Plugins | None = None,
    lake_root: Path | str | None = None,
    *,
    backend: Backend = "auto",
    work_root: Path | str | None = None,
    rehash: bool = False,
) -> ExtractReport:
    """Extract every archive under ``<source_dir>/<vendor>/`` into ``bronze_root``.

    ``vendors`` limits the run to those vendor folders (each must be a loaded plugin);
    by default every folder owned by a loaded plugin is processed and other folders are
    noted in the report. ``plugins`` defaults to :func:`pointline_core.plugins.load_plugins`.
    ``lake_root`` moves the ledger to ``<lake_root>/control/upstream_ledger``. ``backend``
    forces ``cli`` or ``py7zr`` for 7z archives (default: the 7-Zip program if on PATH).
    ``work_root`` is where temporary extraction folders go (default: the system temp dir).
    ``rehash`` hashes every archive even when the ledger has a success for the same name,
    size and modification time (by default such an archive is skipped unread).
    See the module docstring for what happens to each archive.
    """
    started = time.perf_counter()
    source = Path(source_dir)
    bronze = Path(bronze_root)
    if not source.is_dir():
        raise UpstreamError(f"source folder {source} does not exist or is not a folder")
    if plugins is None:
        from pointline_core.plugins import load_plugins

        plugins = load_plugins()
    notes: list[str] = []
    folders = sorted(
        p.name
        for p in source.iterdir()
        if p.is_dir() and not p.name.startswith((".", BRONZE_STATE_DIR))
    )
    if vendors is not None:
        selected = sorted(set(vendors))
        for name in selected:
            plugins.vendor(name)  # UnknownVendorError names the installed vendors
            if name not in folders:
                notes.append(f"vendor {name!r}: no folder {source / name}")
    else:
        selected = [f for f in folders if f in plugins.vendors]
        for f in folders:
            if f not in plugins.vendors:
                notes.append(f"folder {f!r}: no installed plugin of that name; not extracted")
    selected_with_hook = []
    for name in selected:
        if plugins.implements(name, RECOGNIZE) and plugins.implements(name, MEMBER_PATH):
            selected_with_hook.append(name)
        else:
            notes.append(
                f"vendor {name!r} does not implement {RECOGNIZE}/{MEMBER_PATH}; "
                "its folder is not extracted"
            )
    if not any((source / vendor).is_dir() for vendor in selected_with_hook):
        raise RootLayoutError(_layout_problem(plugins, source, selected_with_hook, notes))
    ledger = open_ledger(bronze, Path(lake_root) if lake_root else None)
    run = _Run(
        plugins,
        bronze,
        ledger,
        dry_run,
        backend,
        Path(work_root) if work_root else None,
        rehash=rehash,
    )
    archives: list[ArchiveReport] = []
    for vendor in selected_with_hook:
        vendor_dir = source / vendor
        if not vendor_dir.is_dir():
            continue
        for path in _archives(vendor_dir):
            archives.append(run.archive(vendor, vendor_dir, path))
    run.finish()
    return ExtractReport(
        source_dir=str(source),
        bronze_root=str(bronze),
        ledger_path=str(ledger.path),
        dry_run=dry_run,
        vendors=selected_with_hook,
        archives=archives,
        notes=notes,
        archives_total=len(archives),
        archives_succeeded=sum(1 for a in archives if a.status == "success"),
        archives_failed=sum(1 for a in archives if a.status == "failed"),
        archives_skipped=sum(1 for a in archives if a.status == "skipped"),
        members_published=sum(a.members_published for a in archives),
        members_existing=sum(a.members_existing for a in archives),
        members_rejected=sum(a.members_rejected for a in archives),
        elapsed_s=round(time.perf_counter() - started, 4),
        archives_hashed=sum(1 for a in archives if a.hashed and a.sha256 is not None),
    )
