"""Receivers with the real engine: triggers firing work, standing tasks, reloads, debounce.

Sources are fakes that emit ``changed`` when the test says so; timing (idle minutes,
debounce, reload delay) moves with the fake clock. File events are real
(QFileSystemWatcher on a temporary folder); we wait for them with qtbot.waitUntil.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from textwrap import dedent
from typing import Any

import pytest

from engine.clock import FakeClock
from engine.conditions import Conditions, StaticSource
from engine.engine import Engine
from engine.model import Constraint, Kind, State, Task
from engine.receivers import RELOAD_DELAY, Receivers, Sources, TriggerSource, sources_from_conditions
from engine.store import Store


class FakeSource(TriggerSource):
    def __init__(self, value: Any) -> None:
        super().__init__()
        self._value = value

    def value(self) -> Any:
        return self._value

    def set(self, value: Any) -> None:
        self._value = value
        self.changed.emit()


class FakeIdle(TriggerSource):
    """Idle seconds measured on the fake clock, like a real source reading the session."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock
        self.since: float | None = None

    def value(self) -> float | None:
        return None if self.since is None else self.clock.monotonic() - self.since

    def go_idle(self) -> None:
        self.since = self.clock.monotonic()
        self.changed.emit()

    def touch(self) -> None:
        self.since = None
        self.changed.emit()


def write(path: Path, text: str) -> None:
    path.write_text(dedent(text))
    path.chmod(0o600)


@pytest.fixture
def offline(qapp: Any, tmp_path: Path, clock: FakeClock) -> Iterator[Engine]:
    """An engine that is never started: enqueued work waits, so the test can look at it."""
    engine = Engine(Store(tmp_path / "w.db"), clock)
    yield engine
    engine.store.close()


@pytest.fixture
def running(qapp: Any, tmp_path: Path, clock: FakeClock) -> Iterator[Engine]:
    engine = Engine(Store(tmp_path / "w.db"), clock)
    engine.start()
    yield engine
    engine.stop()
    assert engine.runner.running() == []
    engine.store.close()


@pytest.fixture
def receivers_of(tmp_path: Path) -> Iterator[Any]:
    made: list[Receivers] = []

    def make(engine: Engine, text: str | None, **kwargs: Any) -> Receivers:
        path = tmp_path / "conf" / "manifest.toml"
        path.parent.mkdir(exist_ok=True, mode=0o700)
        if text is not None:
            write(path, text)
        receivers = Receivers(engine, path, **kwargs)
        made.append(receivers)
        return receivers

    yield make
    for receivers in made:
        receivers.stop()


def manifest_tasks(engine: Engine) -> list[Task]:
    # By name, then state: on a fake clock that stands still every task has the same created_at.
    return sorted((t for t in engine.tasks() if t.spec.origin == "manifest"), key=lambda t: (t.name or "", t.state != State.CANCELLED))


JOB = """
    [tasks.job]
    run = ["true"]
"""


def test_app_start_fires_once_and_the_work_runs(qtbot: Any, running: Engine, receivers_of: Any) -> None:
    receivers = receivers_of(running, JOB + '[[receivers]]\non = "app-start"\nstart = "job"\n')
    with qtbot.waitSignal(receivers.fired) as fired:
        receivers.start()
    assert fired.args == ["receivers[0]", "app-start"]
    (task,) = manifest_tasks(running)
    assert (task.name, task.kind) == ("manifest:job", Kind.DEFERRED)
    qtbot.waitUntil(lambda: running.task(task.id).state is State.SUCCEEDED, timeout=10_000)
    receivers.path.write_text(receivers.path.read_text() + "\n# edited\n")
    assert receivers.reload() is True
    assert len(manifest_tasks(running)) == 1  # a reload is not an app start


def test_power_and_network_fire_on_the_change_not_the_state_at_start(offline: Engine, receivers_of: Any) -> None:
    power, network = FakeSource(None), FakeSource(False)
    text = JOB + """
        [tasks.other]
        run = ["true"]
        [[receivers]]
        on = "power-connected"
        start = "job"
        [[receivers]]
        on = "power-disconnected"
        start = "other"
        [[receivers]]
        on = "network-available"
        start = ["job", "other"]
    """
    receivers = receivers_of(offline, text, sources=Sources(power=power, network=network))
    fired: list[tuple[str, str]] = []
    receivers.fired.connect(lambda label, trigger: fired.append((label, trigger)))
    receivers.start()
    power.set(True)  # unknown -> AC: not a connection we saw
    assert fired == []
    power.set(False)
    power.set(True)
    network.set(True)
    network.set(True)
    assert [t for _, t in fired] == ["power-disconnected", "power-connected", "network-available"]
    # Unique names: work already waiting is kept, not added again.
    assert sorted(t.name or "" for t in manifest_tasks(offline)) == ["manifest:job", "manifest:other"]


def test_user_idle_fires_once_per_idle_period(offline: Engine, receivers_of: Any, clock: FakeClock) -> None:
    idle = FakeIdle(clock)
    receivers = receivers_of(offline, JOB + '[[receivers]]\non = "user-idle"\nminutes = 10\nstart = "job"\n', sources=Sources(idle=idle))
    fired: list[str] = []
    receivers.fired.connect(lambda label, trigger: fired.append(trigger))
    receivers.start()
    idle.go_idle()
    clock.advance(599.9)
    assert fired == []
    clock.advance(0.1)
    assert fired == ["user-idle"]
    clock.advance(3600)
    assert fired == ["user-idle"]
    idle.touch()
    offline.cancel(manifest_tasks(offline)[0].id)
    idle.go_idle()
    clock.advance(600)
    assert fired == ["user-idle", "user-idle"]
    assert [t.state for t in manifest_tasks(offline)] == [State.CANCELLED, State.ENQUEUED]


def test_a_chain_starts_its_prerequisites_first(offline: Engine, receivers_of: Any) -> None:
    text = """
        [tasks.get]
        run = ["true"]
        [tasks.tell]
        worker = "notify"
        args = ["got {path}"]
        after = ["get"]
        [[receivers]]
        on = "app-start"
        start = "tell"
    """
    receivers_of(offline, text).start()
    get, tell = manifest_tasks(offline)
    assert (get.name, get.state) == ("manifest:get", State.ENQUEUED)
    assert (tell.name, tell.state, tell.spec.after) == ("manifest:tell", State.BLOCKED, (get.id,))


def test_standing_tasks_are_kept_replaced_and_cancelled_with_the_manifest(offline: Engine, receivers_of: Any) -> None:
    receivers = receivers_of(offline, JOB + 'cron = "0 8 * * *"\n')
    receivers.start()
    (first,) = manifest_tasks(offline)
    assert (first.name, first.state, first.kind) == ("manifest:job", State.ENQUEUED, Kind.DEFERRED)
    write(receivers.path, JOB + 'cron = "0 8 * * *"\n# only a comment changed\n')
    assert receivers.reload() is True
    assert [t.id for t in manifest_tasks(offline)] == [first.id]  # same definition: not duplicated
    write(receivers.path, JOB + 'cron = "0 9 * * *"\n')
    receivers.reload()
    old, new = manifest_tasks(offline)
    assert (old.id, old.state) == (first.id, State.CANCELLED)
    assert new.state is State.ENQUEUED and new.spec.schedule is not None and new.spec.schedule.cron == "0 9 * * *"
    write(receivers.path, "version = 1\n")
    receivers.reload()
    assert all(t.state is State.CANCELLED for t in manifest_tasks(offline))


def test_an_alarm_is_a_standing_exact_task(offline: Engine, receivers_of: Any, clock: FakeClock) -> None:
    receivers = receivers_of(offline, JOB + '[[receivers]]\non = "alarm"\ncron = "30 9 * * *"\ntz = "UTC"\nstart = "job"\n')
    receivers.start()
    (alarm,) = manifest_tasks(offline)
    assert (alarm.kind, alarm.state, alarm.name) == (Kind.EXACT, State.SCHEDULED, "manifest:job@alarm 30 9 * * *")
    assert alarm.next_run_at == clock.now().replace(hour=9, minute=30)  # the fake clock reads 09:00 UTC


def test_the_manifest_reloads_when_an_editor_replaces_it(qtbot: Any, offline: Engine, receivers_of: Any, clock: FakeClock) -> None:
    receivers = receivers_of(offline, JOB)
    receivers.start()
    assert set(receivers.manifest.tasks) == {"job"}
    # Editors save by writing a new file and renaming it over the old one.
    fresh = receivers.path.with_name("manifest.toml.swp")
    write(fresh, JOB + '[tasks.more]\nrun = ["true"]\n')
    os.replace(fresh, receivers.path)
    qtbot.waitUntil(lambda: receivers._reload_timer.active, timeout=5000)
    with qtbot.waitSignal(receivers.loaded):
        clock.advance(RELOAD_DELAY)
    assert set(receivers.manifest.tasks) == {"job", "more"}
    # The replaced file is watched again: a second edit in place is seen too.
    with open(receivers.path, "a") as out:
        out.write('[tasks.third]\nrun = ["true"]\n')
    qtbot.waitUntil(lambda: receivers._reload_timer.active, timeout=5000)
    clock.advance(RELOAD_DELAY)
    assert set(receivers.manifest.tasks) == {"job", "more", "third"}


def test_a_broken_edit_keeps_the_last_good_manifest_and_says_so(qtbot: Any, offline: Engine, receivers_of: Any, clock: FakeClock) -> None:
    receivers = receivers_of(offline, JOB + '[[receivers]]\non = "app-start"\nstart = "job"\n')
    receivers.start()
    good = receivers.manifest
    with open(receivers.path, "a") as out:
        out.write('[tasks.bad]\nrun = ["true"]\nevery = "1h"\nafter = ["bad"]\n[tasks.later]\nrun = ["true"]\ncron = "* * * * *"\n')
    qtbot.waitUntil(lambda: receivers._reload_timer.active, timeout=5000)
    with qtbot.waitSignal(receivers.problem) as problem:
        clock.advance(RELOAD_DELAY)
    assert problem.args[0].startswith(f"{receivers.path}:10: tasks.bad.after: a scheduled task cannot wait")
    assert problem.args[0].endswith("; the last good manifest stays in force")
    assert receivers.manifest is good
    assert [t.name for t in manifest_tasks(offline)] == ["manifest:job"]  # nothing of the broken one


@pytest.mark.posix
def test_a_refused_manifest_at_start_runs_nothing(qtbot: Any, offline: Engine, receivers_of: Any) -> None:
    receivers = receivers_of(offline, JOB + '[[receivers]]\non = "app-start"\nstart = "job"\n')
    receivers.path.chmod(0o666)
    with qtbot.waitSignal(receivers.problem) as problem:
        receivers.start()
    assert "refused: other users can write it" in problem.args[0]
    assert problem.args[0].endswith("; no manifest is in force")
    assert manifest_tasks(offline) == []


def test_file_changed_is_debounced(qtbot: Any, offline: Engine, receivers_of: Any, clock: FakeClock, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "existing.txt").write_text("v1")
    text = JOB + f'[[receivers]]\non = "file-changed"\npath = "{inbox}"\ndebounce = "5s"\nstart = "job"\n'
    receivers = receivers_of(offline, text)
    fired: list[str] = []
    receivers.fired.connect(lambda label, trigger: fired.append(trigger))
    receivers.start()
    watch = receivers._watches[0]
    (inbox / "new.txt").write_text("hello")
    qtbot.waitUntil(lambda: watch.timer.active, timeout=5000)
    clock.advance(4)
    (inbox / "existing.txt").write_text("v2")  # a change inside the window restarts it
    qtbot.waitUntil(lambda: watch.timer.deadline == clock.monotonic() + 5, timeout=5000)
    clock.advance(4.9)
    assert fired == []
    clock.advance(0.1)
    assert fired == ["file-changed"]
    clock.advance(60)
    assert fired == ["file-changed"]
    (inbox / "new.txt").write_text("edited")  # a file that appeared later is watched too
    qtbot.waitUntil(lambda: watch.timer.active, timeout=5000)
    clock.advance(5)
    assert fired == ["file-changed", "file-changed"]


def test_file_changed_on_a_single_file_survives_replacement(qtbot: Any, offline: Engine, receivers_of: Any, clock: FakeClock, tmp_path: Path) -> None:
    watched = tmp_path / "notes.txt"
    watched.write_text("v1")
    (tmp_path / "neighbour.txt").write_text("x")
    text = JOB + f'[[receivers]]\non = "file-changed"\npath = "{watched}"\ndebounce = "1s"\nstart = "job"\n'
    receivers = receivers_of(offline, text)
    fired: list[str] = []
    receivers.fired.connect(lambda label, trigger: fired.append(trigger))
    receivers.start()
    watch = receivers._watches[0]
    swap = tmp_path / "notes.txt.new"
    swap.write_text("v2")
    os.replace(swap, watched)
    qtbot.waitUntil(lambda: watch.timer.active, timeout=5000)
    clock.advance(1)
    assert fired == ["file-changed"]
    watched.write_text("v3")  # watched again after the rename
    qtbot.waitUntil(lambda: watch.timer.active, timeout=5000)
    clock.advance(1)
    assert fired == ["file-changed", "file-changed"]


def test_condition_sources_drive_receivers(offline: Engine, receivers_of: Any, clock: FakeClock) -> None:
    conditions = {c: StaticSource(c, met) for c, met in
                  ((Constraint.AC_POWER, False), (Constraint.NETWORK, True), (Constraint.IDLE, False))}
    sources = sources_from_conditions(Conditions(list(conditions.values())), clock, idle_minutes=5)
    text = JOB + """
        [[receivers]]
        on = "power-connected"
        start = "job"
        [[receivers]]
        on = "user-idle"
        minutes = 8
        start = "job"
    """
    receivers = receivers_of(offline, text, sources=sources)
    fired: list[str] = []
    receivers.fired.connect(lambda label, trigger: fired.append(trigger))
    receivers.start()
    assert conditions[Constraint.AC_POWER].watched  # psutil sources poll only while watched
    conditions[Constraint.AC_POWER].set(True)
    assert fired == ["power-connected"]
    conditions[Constraint.IDLE].set(True)  # idle for the condition's 5 minutes
    clock.advance(179)
    assert fired == ["power-connected"]
    clock.advance(1)  # 5 + 3 = 8 minutes
    assert fired == ["power-connected", "user-idle"]


def test_receivers_keep_fresh_only_the_sources_their_manifest_listens_to(
    offline: Engine, receivers_of: Any, clock: FakeClock
) -> None:
    """No manifest receiver for power: power is not polled on the receivers' account. And the
    dispatcher, which watches the same sources for its tasks, cannot switch off what a
    receiver still needs (one owner each in Conditions.watch)."""
    power, network = StaticSource(Constraint.AC_POWER), StaticSource(Constraint.NETWORK)
    conditions = Conditions([power, network, StaticSource(Constraint.IDLE)])
    sources = sources_from_conditions(conditions, clock, idle_minutes=1)
    receivers = receivers_of(offline, JOB + """
        [[receivers]]
        on = "power-connected"
        start = "job"
    """, sources=sources)
    receivers.start()
    assert (power.watched, network.watched) == (True, False)
    conditions.watch([Constraint.AC_POWER])  # a deferred task needs AC power too...
    conditions.watch([])  # ...and is done: the receiver's need remains
    assert power.watched
    receivers.stop()
    assert not power.watched


class CountedSource(StaticSource):
    """A condition source that counts its readings (power's reads psutil, ~11 ms)."""

    def __init__(self, constraint: Constraint) -> None:
        super().__init__(constraint, True)
        self.readings = 0

    def reading(self) -> Any:
        self.readings += 1
        return super().reading()


def test_a_start_reads_only_the_sources_its_receivers_listen_to(
    offline: Engine, receivers_of: Any, clock: FakeClock
) -> None:
    """Issue 14: every owner's start read power, network and idle for the receivers,
    manifest or not (power alone imported psutil, ~11 ms, before the first runs were
    recorded). Now a source is read when a receiver binds to it, as its baseline."""
    power, network, idle = (CountedSource(c) for c in (Constraint.AC_POWER, Constraint.NETWORK, Constraint.IDLE))
    conditions = Conditions([power, network, idle])
    receivers = receivers_of(offline, None, sources=sources_from_conditions(conditions, clock, idle_minutes=1))
    receivers.start()
    assert (power.readings, network.readings, idle.readings) == (0, 0, 0)
    receivers.stop()
    listening = receivers_of(offline, JOB + """
        [[receivers]]
        on = "network-available"
        start = "job"
    """, sources=sources_from_conditions(conditions, clock, idle_minutes=1))
    fired: list[str] = []
    listening.fired.connect(lambda label, trigger: fired.append(trigger))
    listening.start()
    assert power.readings == 0 and network.readings > 0 and idle.readings == 0
    network.set(False)
    network.set(True)  # judged against the baseline read at bind: a change, so it fires
    assert fired == ["network-available"]
    listening.stop()


def test_with_no_manifest_no_source_is_watched(offline: Engine, receivers_of: Any, clock: FakeClock) -> None:
    watched = [StaticSource(c) for c in (Constraint.AC_POWER, Constraint.NETWORK, Constraint.IDLE)]
    conditions = Conditions(watched)
    receivers = receivers_of(offline, None, sources=sources_from_conditions(conditions, clock, idle_minutes=1))
    receivers.start()
    assert [s.watched for s in watched] == [False, False, False]
