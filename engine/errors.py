"""Errors, sorted by who is to blame.

- :class:`BadInputError`: the user's input (exit status 2, nothing written).
- :class:`NoSuchTaskError`: an id, name or tag that matches nothing (exit status 3).
- :class:`EnvironmentFaultError`: the machine (disk full, database locked): shown plainly.
- anything else is a bug: logged with its traceback.

Messages are one line and name the thing and, where there is one, the fix.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: every command line imports this module
if TYPE_CHECKING:
    from typing import Any


class WorkdeckError(Exception):
    """Base of every error Workdeck raises on purpose."""

    exit_status = 1


class BadInputError(WorkdeckError):
    exit_status = 2


class BadSpecError(BadInputError):
    """A task spec that the engine refuses."""


class BadTimeError(BadInputError):
    """A malformed or impossible time, duration or repeat rule."""


class NoSuchTaskError(WorkdeckError):
    exit_status = 3

    def __init__(self, what: str) -> None:
        super().__init__(f"no such task: {what}")


class IllegalTransitionError(WorkdeckError):
    """A bug: some code tried a state change the transition table forbids."""

    def __init__(self, task_id: str, current: Any, target: Any) -> None:
        super().__init__(f"task {task_id}: illegal transition {current} -> {target}")
        self.task_id, self.current, self.target = task_id, current, target


class StoreError(WorkdeckError):
    pass


class NotAWorkdeckDatabaseError(StoreError, BadInputError):
    exit_status = 2


class SchemaFromTheFutureError(StoreError, BadInputError):
    exit_status = 2


class DatabaseReadOnlyError(StoreError, BadInputError):
    exit_status = 2


class EnvironmentFaultError(StoreError):
    """The environment's fault (disk full, database locked, I/O error): not a bug."""


class DiskFullError(EnvironmentFaultError):
    """SQLite could not write for want of space (or an I/O error on a full file system).
    Nothing was written: SQLite rolled the whole transaction back."""


class DatabaseDamagedError(StoreError, BadInputError):
    """A Workdeck database missing a table (or another part of its schema): changed by
    hand or by another program. Refused at open, as a foreign database is."""

    exit_status = 2


class AlreadyOwnedError(WorkdeckError):
    """Another engine (a window or `workdeck serve`) owns this database."""

    def __init__(self, message: str, *, pid: int | None = None, role: str | None = None) -> None:
        super().__init__(message)
        self.pid, self.role = pid, role


class JobAlreadyRunningError(WorkdeckError):
    """A bug in the caller: a task may have one running job at a time."""

    def __init__(self, task_id: str) -> None:
        super().__init__(f"task {task_id} already has a running job; cancel it or wait for it to finish")
        self.task_id = task_id
