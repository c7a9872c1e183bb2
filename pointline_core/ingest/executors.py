"""Where units run: in the driver (``serial``), in a local process pool (``process``), or on
a Ray cluster (``ray``, optional extra ``pointline-core[ray]``).

Every executor yields, for each task, either the worker's :class:`UnitResult` or a
:class:`UnitCrash` when the worker process died (killed, out of memory); results arrive in
completion order and the driver commits each as it comes. An exception a worker raises (a bug,
a full disk) propagates to the driver and ends the run, as on one process. A pool that loses
a worker is replaced; the units that were in flight then run again one at a time, so only the
unit that kills its worker again is reported crashed, and the run never hangs.

Workers load the installed plugins (entry points) themselves and read the dim_symbol snapshot
the driver pinned (cached per process). Plugins registered in-process exist only in the
driver: use ``serial`` for those.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol

import attrs
import polars as pl

from pointline_core.errors import ExecutorError
from pointline_core.ingest.work import UnitResult, UnitTask, run_unit
from pointline_core.plugins import Plugins, load_plugins
from pointline_core.resources import usable_cpus
from pointline_core.storage.dim_symbol import DimSymbolStore
from pointline_core.storage.lake import Lake

EXECUTORS = ("serial", "process", "ray")
WORKER_DIED = (
    "worker_died: the worker process running this file's unit died (killed by a signal, or "
    "out of memory); nothing of it was committed; rerun to retry it (if it dies again, look "
    "for a file that exhausts memory)"
)


@attrs.frozen(slots=True)
class UnitCrash:
    """A unit whose worker died before returning."""

    index: int
    reason: str


Outcome = UnitResult | UnitCrash


class Executor(Protocol):
    name: str
    workers: int

    def run(self, tasks: Sequence[UnitTask]) -> Iterator[Outcome]: ...


# --- in the worker process ------------------------------------------------------------------

_PLUGINS: Plugins | None = None
_DIMS: dict[tuple[str, int | None], pl.DataFrame] = {}


def _worker_dim(lake_root: str, version: int | None) -> pl.DataFrame:
    key = (lake_root, version)
    if key not in _DIMS:
        _DIMS.clear()  # one snapshot per run is all a worker needs
        store = DimSymbolStore(Lake(lake_root))
        _DIMS[key] = store.frame(version=version) if version is not None else store.frame()
    return _DIMS[key]


def warm_worker() -> None:
    """Load the plugins (and with them polars and deltalake) before the first unit."""
    global _PLUGINS
    if _PLUGINS is None:
        _PLUGINS = load_plugins()


def run_in_worker(task: UnitTask) -> UnitResult:
    """Entry point of a pooled or remote worker: plugins and dim_symbol from this process's
    cache, then :func:`run_unit`."""
    warm_worker()
    assert _PLUGINS is not None
    return run_unit(task, _PLUGINS, _worker_dim(task.lake_root, task.dim_version))


def _die_with_driver(driver_pid: int) -> None:
    """A pool worker must not outlive a driver that was killed (it would wait for work
    forever, holding the driver's pipes): on Linux the kernel sends it SIGKILL then. A driver
    that died while this worker was still starting is caught by the parent check."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != driver_pid:
        os._exit(1)


# --- serial ---------------------------------------------------------------------------------


class SerialExecutor:
    """Units run one after another in the driver, with the driver's plugins (in-process
    registrations included) and per-batch progress."""

    name = "serial"
    workers = 1

    def __init__(
        self,
        plugins: Plugins,
        dim_symbol: Callable[[], pl.DataFrame],
        on_batch: Callable[[int, str], None] | None = None,
    ) -> None:
        self.plugins = plugins
        self.dim_symbol = dim_symbol
        self.on_batch = on_batch

    def run(self, tasks: Sequence[UnitTask]) -> Iterator[Outcome]:
        for task in tasks:
            yield run_unit(task, self.plugins, self.dim_symbol(), on_batch=self.on_batch)


# --- local processes ------------------------------------------------------------------------

#: polars reads this once, when it is imported: a spawned worker must find it in its
#: environment at start-up.
POLARS_THREADS = "POLARS_MAX_THREADS"


@contextlib.contextmanager
def _worker_threads(workers: int) -> Iterator[None]:
    """Workers spawned inside share the CPUs: each gets ``cpus // workers`` polars threads
    instead of one per CPU (N workers x N threads oversubscribe the machine; at 64 cores, 4,096
    threads). A POLARS_MAX_THREADS the user set is kept. The driver's own environment is
    restored afterwards (its polars pool is already sized)."""
    if POLARS_THREADS in os.environ:
        yield
        return
    os.environ[POLARS_THREADS] = str(max(1, usable_cpus() // workers))
    try:
        yield
    finally:
        os.environ.pop(POLARS_THREADS, None)


class ProcessExecutor:
    """A pool of ``workers`` spawned processes (spawn: no inherited threads or locks)."""

    name = "process"

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._warm: ProcessPoolExecutor | None = None

    def warm(self) -> None:
        """Start the workers now (spawning and importing takes about a second each), so
        they get ready while the driver still hashes and plans."""
        if self._warm is None:
            self._warm = self._pool()
            with _worker_threads(self.workers):  # submit spawns the worker processes
                for _ in range(self.workers):
                    self._warm.submit(warm_worker)

    def close(self) -> None:
        if self._warm is not None:
            self._warm.shutdown(wait=True, cancel_futures=True)
            self._warm = None

    def _pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_die_with_driver,
            initargs=(os.getpid(),),
        )

    def run(self, tasks: Sequence[UnitTask]) -> Iterator[Outcome]:
        queue = deque(tasks)
        suspects: deque[UnitTask] = deque()
        pool, self._warm = self._warm or self._pool(), None
        # pool.submit spawns the worker processes it needs (again after a worker died)
        with _worker_threads(self.workers):
            try:
                while queue or suspects:
                    # After a worker died, the units that were in flight run again one at a
                    # time, so only the unit that kills its worker again is reported.
                    alone = bool(suspects)
                    source, limit = (suspects, 1) if alone else (queue, 2 * self.workers)
                    if (yield from _drain(pool, source, limit, suspects)):
                        pool.shutdown(wait=False, cancel_futures=True)
                        pool = self._pool()
            finally:
                pool.shutdown(wait=True, cancel_futures=True)


def _drain(
    pool: ProcessPoolExecutor,
    source: deque[UnitTask],
    limit: int,
    suspects: deque[UnitTask],
) -> Generator[Outcome, None, bool]:
    """Run ``source``'s tasks with at most ``limit`` in flight, yielding outcomes; returns
    whether the pool broke (a worker died). Units in flight then go to ``suspects``, or,
    when they already ran alone (``limit`` 1 from ``suspects``), are reported crashed."""
    alone = source is suspects
    running: dict[Future[UnitResult], UnitTask] = {}
    broken = False
    while (source and not broken) or running:
        while source and not broken and len(running) < limit:
            task = source.popleft()
            try:
                running[pool.submit(run_in_worker, task)] = task
            except BrokenProcessPool:
                source.appendleft(task)
                broken = True
        if not running:
            break
        done, _ = wait(list(running), return_when=FIRST_COMPLETED)
        for future in done:
            task = running.pop(future)
            try:
                result = future.result()
            except BrokenProcessPool:
                broken = True
                if alone:
                    yield UnitCrash(task.index, WORKER_DIED)
                else:
                    suspects.append(task)
                continue
            yield result
    return broken


# --- Ray ------------------------------------------------------------------------------------


class RayExecutor:
    """Units as Ray tasks (one CPU each). Connects to ``address`` (or ``RAY_ADDRESS``); without
    one, starts a local Ray with ``workers`` CPUs for the run and stops it afterwards. Bronze
    and the lake must be on a file system every node sees at the same path."""

    name = "ray"

    def __init__(self, workers: int, address: str | None = None) -> None:
        try:
            import ray
        except ImportError:
            raise ExecutorError(
                "the ray executor needs Ray: pip install 'pointline-core[ray]' (or use "
                "--executor process)"
            ) from None
        self.ray: Any = ray
        self.workers = workers
        self.address = address or os.environ.get("RAY_ADDRESS") or None
        self._started = False

    def warm(self) -> None:
        """Connect now and have the workers load the plugins: Ray starts fresh worker
        processes for each driver (job), and their imports (~1.5 s here) then overlap the
        driver's hashing and planning, as the process pool's do."""
        self._connect()
        warm = self.ray.remote(**ray_task_options())(warm_worker)
        for _ in range(self.workers):
            warm.remote()  # fire and forget: a worker that fails to load fails its units

    def cluster_cpus(self) -> int:
        """The CPUs of the cluster at this executor's address (the default ``workers`` there:
        the driver's own CPUs would leave most of a cluster idle). Connects and disconnects."""
        self._connect()
        try:
            return max(1, int(self.ray.cluster_resources().get("CPU", 1)))
        finally:
            self.close()

    def close(self) -> None:
        """Stop the local Ray this executor started (a cluster it connected to stays up)."""
        if self._started:
            self.ray.shutdown()
            self._started = False

    def _connect(self) -> None:
        ray = self.ray
        if not ray.is_initialized():
            try:
                if self.address:
                    ray.init(address=self.address, log_to_driver=False)
                else:
                    # The local Ray's workers inherit this environment: cpus // workers polars
                    # threads each, as process workers. A cluster's nodes keep their own (set
                    # POLARS_MAX_THREADS=1 where `ray start` runs: docs/scaling.md).
                    with _worker_threads(self.workers):
                        ray.init(
                            num_cpus=self.workers,
                            include_dashboard=False,
                            log_to_driver=False,
                            configure_logging=False,
                        )
            except Exception as exc:  # Ray raises ConnectionError, RuntimeError, ...
                where = self.address or "a local Ray"
                raise ExecutorError(
                    f"cannot start or reach Ray at {where}: {type(exc).__name__}: {exc}; check "
                    "--ray-address / RAY_ADDRESS, or use --executor process"
                ) from None
            self._started = True

    def run(self, tasks: Sequence[UnitTask]) -> Iterator[Outcome]:
        ray = self.ray
        self._connect()
        remote = ray.remote(**ray_task_options())(run_in_worker)
        try:
            queue = deque(tasks)
            running: dict[Any, UnitTask] = {}
            while queue or running:
                while queue and len(running) < 2 * self.workers:
                    task = queue.popleft()
                    running[remote.remote(task)] = task
                done, _ = ray.wait(list(running), num_returns=1)
                for ref in done:
                    task = running.pop(ref)
                    try:
                        yield ray.get(ref)
                    except ray.exceptions.RayTaskError as exc:
                        raise exc.as_instanceof_cause() from None
                    except (ray.exceptions.WorkerCrashedError, ray.exceptions.OutOfMemoryError):
                        yield UnitCrash(task.index, WORKER_DIED)
        finally:
            self.close()


def ray_task_options() -> dict[str, Any]:
    """A unit is a Ray task with one CPU and no Ray-level retry (the driver decides what a
    failure means). No ``runtime_env``: one costs ~0.6 s a run (measured), so polars' threads
    per worker come from the workers' environment (see :meth:`RayExecutor._connect`)."""
    return {"num_cpus": 1, "max_retries": 0}


def can_spawn() -> bool:
    """Spawned workers re-import the driver's ``__main__`` from its file: a driver run from
    standard input (``python - <<EOF``) has none, and its workers would die at start-up."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    return path is None or os.path.exists(path)


def make_executor(
    name: str,
    workers: int,
    *,
    plugins: Plugins,
    dim_symbol: Callable[[], pl.DataFrame],
    on_batch: Callable[[int, str], None] | None = None,
    ray_address: str | None = None,
) -> Executor:
    """The executor called ``name`` (see :data:`EXECUTORS`)."""
    if name == "serial":
        return SerialExecutor(plugins, dim_symbol, on_batch)
    if workers < 1:
        raise ExecutorError(f"--workers {workers}: give at least 1")
    if name == "process":
        if not can_spawn():
            # Workers could not start; the driver does the work rather than fail every file.
            return SerialExecutor(plugins, dim_symbol, on_batch)
        return ProcessExecutor(workers)
    if name == "ray":
        return RayExecutor(workers, ray_address)
    raise ExecutorError(f"unknown executor {name!r}; use one of {', '.join(EXECUTORS)}")
