"""The engine's reads: tasks, their runs and the timeline's aggregates, through the store.

:class:`TaskReads` is mixed into :class:`engine.engine.Engine`, which gives it its store,
its running runs and its output buffer.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject

from engine.clock import to_us
from engine.model import Kind, Outcome, Run, Task
from engine.store.reads import Bucket

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance

    from engine.history.bucket_reads import BucketReads
    from engine.run_cycle import _Running
    from engine.store import Store

#: Runs that :meth:`TaskReads.task` carries: the newest ones.
TASK_RUNS = 100


class TaskReads:
    """Reading tasks and runs (see the module's docstring)."""

    if TYPE_CHECKING:  # the Engine's (defined here at run time, they would hide its own)
        store: Store
        _running: dict[str, _Running]
        task_changed: SignalInstance

        def _flush_output(self) -> None: ...

    def task(self, task_id: str, *, with_runs: bool = True) -> Task:
        """The task with its newest :data:`TASK_RUNS` runs (a history has no end: a
        1-second task keeps 2.6 million runs under the default policy); its ``totals``
        count them all. Older runs: :func:`engine.history.reads.iter_runs`."""
        task = self.store.task(task_id, with_runs=False)
        if not with_runs:
            return task
        return dataclasses.replace(task, runs=tuple(self.store.runs(task_id, newest=TASK_RUNS)))

    def task_kind(self, task_id: str) -> Kind:
        """A task's kind without reading its runs (a listener on every run start)."""
        running = self._running.get(task_id)
        return running.task.kind if running is not None else self.store.task(task_id, with_runs=False).kind

    def chain_children(self, task_id: str) -> list[str]:
        """The ids of the tasks that run after this one (its chain children)."""
        return self.store.children(task_id)

    def tasks(self, **filters: Any) -> list[Task]:
        return self.store.tasks(**filters)

    def runs_between(self, start: datetime, end: datetime) -> list[Run]:
        """Runs overlapping [start, end], open runs included: the timeline's range read."""
        return self.store.runs_between(to_us(start), to_us(end))

    def runs_page(self, task_id: str, *, before_id: int | None = None, limit: int = 100) -> list[Run]:
        """A page of the task's runs, newest first (the details pane's fetch-on-scroll)."""
        return self.store.runs_page(task_id, before_id=before_id, limit=limit)

    def last_outcomes(self) -> dict[str, Outcome]:
        return self.store.last_outcomes()

    def count_runs_started(self, start_us: int, end_us: int, cap: int) -> int:
        return self.store.count_runs_started(start_us, end_us, cap)

    def run_buckets(
        self, start_us: int, end_us: int, bucket_us: int, *, limit: int | None = None, backwards: bool = False
    ) -> tuple[list[Bucket], int]:
        """Per-task, per-pixel aggregates of the runs that started in a range (the timeline, zoomed out)."""
        return self.store.run_buckets(start_us, end_us, bucket_us, limit=limit, backwards=backwards)

    def bucket_reads(self, parent: QObject | None = None) -> BucketReads:
        """A reader of :meth:`run_buckets` off the calling thread (the timeline's, zoomed out)."""
        from engine.history.bucket_reads import BucketReads  # the window's: not on serve's way to its first run

        return BucketReads(self.store.path, self.store.run_buckets, parent=parent)

    def log(self, task_id: str) -> str:
        self._flush_output()
        return self.store.latest_output(task_id)

    def _emit_changed(self, task_id: str) -> None:
        self.task_changed.emit(self.store.task(task_id, with_runs=False))
