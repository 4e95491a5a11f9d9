"""A lean loop that drains deferred shell tasks: the row of tests/bench/bench_cli.py that
says how much of serve's CPU a run is its layers (issue 14).

It does per run what serve does and keeps its data: the engine's own store calls (the
due page and its decoded Task, the claim, the run's start, end and count, the process
group's name, the children's lookup), ``rules.after_run``, the model's Task and Run
copies, four signals with receivers, the same spawn (``posix_spawnp``, its process group,
SCHED_IDLE, the marked environment), a pidfd, the group's check, all from a Qt event
loop (one QSocketNotifier on an epoll). What it leaves out is the engine's layers: the
job runner and its mailbox, the loop supervision and the shell worker's supervisor
(output, cancels, deadlines), the run cycle, the dispatcher, held writes, the reaper.
It handles only what this bench gives it: ``true`` tasks, no output, nothing cancelled.

    python tests/bench/lean_drain.py DB SLOTS    -> prints its own CPU seconds at the end
"""

from __future__ import annotations

import os
import select
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(eq=False)
class _Run:
    task: Any  # engine.model.Task, as claimed
    run: Any  # engine.model.Run
    stamp: tuple[str, int | None]
    proc: Any = None  # engine.platforms.spawn.Child
    pidfd: int = -1
    spawned_at: datetime | None = None


def main(db: str, slots: int) -> None:
    from PySide6.QtCore import QCoreApplication, QObject, QSocketNotifier, QTimer, Signal

    from engine import rules
    from engine.clock import SystemClock, to_us
    from engine.model import Kind, Outcome, Run, State
    from engine.platforms.processes import PosixProcesses
    from engine.process_groups import marked_environment
    from engine.store import Store

    class Signals(QObject):
        task_changed = Signal(object)
        run_started = Signal(object)
        run_finished = Signal(object)

    app = QCoreApplication([])
    store, clock, processes = Store(db), SystemClock(), PosixProcesses()
    signals = Signals()
    armed: dict[str, str | None] = {"id": None}
    waiting: dict[str, list[Any]] = {}

    def alarm_receiver(task: Any) -> None:  # what engine.exact's receiver looks at
        if task.state is State.SCHEDULED or task.id == armed["id"]:
            armed["id"] = None

    def ipc_receiver(task: Any) -> None:  # what engine.ipc's receiver looks at
        if waiting and task.id in waiting:
            del waiting[task.id]

    signals.task_changed.connect(alarm_receiver)
    signals.task_changed.connect(ipc_receiver)
    signals.run_started.connect(lambda run: None)
    signals.run_finished.connect(lambda run: None)
    epoll = select.epoll()
    running: dict[int, _Run] = {}  # by pidfd
    groups: dict[int, tuple[int, str | None]] = {}  # run id -> (pgid, leader start), until the next commit

    def claim(now: datetime) -> _Run | None:
        now_us = to_us(now)
        page = store.due_page(State.ENQUEUED, now_us, Kind.DEFERRED, limit=1)
        if not page:
            return None
        task = page[0][1]
        attempt = task.attempts + 1
        stamp = store.set_state(task, State.RUNNING, now_us, next_run_at=None, attempts=attempt)
        due_at = task.next_run_at
        run_id = store.start_run(task.id, attempt, now_us, due_at=None if due_at is None else to_us(due_at))
        claimed = task.replace(state=State.RUNNING, attempts=attempt, next_run_at=None, updated_at=now)
        return _Run(claimed, Run(run_id, task.id, attempt, now, due_at=due_at), stamp)

    def launch(run: _Run) -> None:
        marker = f"{run.task.id}.{run.task.attempts}"
        run.proc = processes.start(list(run.task.spec.args), marked_environment(marker), own_session=False)
        run.spawned_at = clock.now()
        unit = processes.adopt(run.proc)
        processes.lower_priority(unit, own_session=False)
        run.pidfd = os.pidfd_open(run.proc.pid)
        groups[run.run.id] = (unit.id, processes.identity(run.proc.pid, run.pidfd))
        epoll.register(run.pidfd, select.EPOLLIN)
        running[run.pidfd] = run
        signals.task_changed.emit(run.task)
        signals.run_started.emit(run.run)

    def end(run: _Run, exit_code: int) -> _Run | None:
        now = clock.now()
        now_us = to_us(now)
        outcome = Outcome.SUCCEEDED if exit_code == 0 else Outcome.FAILED
        decision = rules.after_run(run.task, outcome, None, now, 0, run.run)
        spawned_us = None if run.spawned_at is None else to_us(run.spawned_at)
        with store.transaction():
            store.close_run(run.run.id, now_us, outcome, exit_code=exit_code, stop_reason=None,
                            detail=decision.detail, spawned_at=spawned_us)
            _, totals = store.move(run.task, decision.state, now_us, next_run_at=None, output=None, stamp=run.stamp,
                                   counted=(outcome, now_us, run.run.id))
            groups.pop(run.run.id, None)
            if groups:
                store.name_groups((run_id, pgid, start) for run_id, (pgid, start) in groups.items())
                groups.clear()
            store.children(run.task.id)
            with store.savepoint():
                following = claim(now)
        signals.run_finished.emit(run.run.replace(ended_at=now, outcome=outcome, exit_code=exit_code))
        signals.task_changed.emit(run.task.replace(state=decision.state, updated_at=now, totals=totals))
        return following

    def on_events() -> None:
        ended = []
        for fd, _ in epoll.poll(0):
            run = running.pop(fd)
            epoll.unregister(fd)
            exit_code = run.proc.wait()
            processes.alive(processes.adopt(run.proc))  # is anyone left in its group?
            os.close(fd)
            run.proc.stdout.close()  # `true` writes nothing: its pipe is at its end
            ended.append((run, exit_code))
        for run, exit_code in ended:  # after the batch: a closed descriptor's number is reused by the next
            following = end(run, exit_code)
            if following is not None:
                launch(following)
        if not running:
            app.quit()

    notifier = QSocketNotifier(epoll.fileno(), QSocketNotifier.Type.Read)
    notifier.activated.connect(on_events)

    def first() -> None:
        now = clock.now()
        with store.transaction():
            claimed = [run for run in (claim(now) for _ in range(slots)) if run is not None]
        for run in claimed:
            launch(run)
        if not claimed:
            app.quit()

    QTimer.singleShot(0, first)
    app.exec()
    store.close()
    print(time.process_time())


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
