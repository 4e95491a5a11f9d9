"""The registry of worker types. ``get("shell")`` returns the shell worker."""

from __future__ import annotations

from collections.abc import Callable

from engine.errors import BadSpecError
from engine.model import Kind, TaskSpec
from engine.workers.base import Worker, WorkContext, WorkResult

_REGISTRY: dict[str, Worker] = {}
#: Workers registered by name whose module is imported when a task first needs them.
_LAZY: dict[str, Callable[[], Worker]] = {}


def register(worker: Worker) -> Worker:
    if worker.name in _REGISTRY or worker.name in _LAZY:
        raise ValueError(f"worker {worker.name!r} is registered twice")
    _REGISTRY[worker.name] = worker
    return worker


def register_lazy(name: str, load: Callable[[], Worker]) -> None:
    """Register the worker ``load`` returns under ``name``; ``load`` is called when
    :func:`get` first asks for it (a task of that worker is added or run). A worker
    whose module imports much (thumbnails: QtGui) then costs a process that never runs
    it nothing, and one that does pays at its first task, not at its start."""
    if name in _REGISTRY or name in _LAZY:
        raise ValueError(f"worker {name!r} is registered twice")
    _LAZY[name] = load


def get(name: str) -> Worker:
    worker = _REGISTRY.get(name)
    if worker is not None:
        return worker
    load = _LAZY.get(name)
    if load is not None:
        worker = load()
        if worker.name != name:
            raise ValueError(f"worker {name!r} was registered lazily, but its loader made {worker.name!r}")
        del _LAZY[name]
        return register(worker)
    _load_builtins(name)
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted({*_REGISTRY, *_LAZY}))
        raise BadSpecError(f"unknown worker {name!r} (known: {known})") from None


def with_implied_constraints(spec: TaskSpec) -> TaskSpec:
    """Deferred work waits for what its worker cannot do without (``download``: the
    network), whoever adds it: the command line, the wizard or the manifest. Work for
    now runs now, and fails if it must."""
    implied = get(spec.worker).implied_constraints
    if not implied or spec.kind is not Kind.DEFERRED or set(implied) <= set(spec.constraints):
        return spec
    return spec.replace(constraints=(*spec.constraints, *implied))


def registered(name: str) -> bool:
    """Whether a worker of that name was registered (lazily or not), built-ins not
    loaded for it (a process registering its own worker need not import httpx to ask)."""
    return name in _REGISTRY or name in _LAZY


def names() -> list[str]:
    _load_builtins()
    return sorted({*_REGISTRY, *_LAZY})


_builtins_loaded = False
#: Which module registers a built-in worker: a process that runs only shell commands
#: never imports the download worker (httpx, a tenth of a second).
_EXTRA = ("download", "copy", "notify")


def _load_builtins(name: str | None = None) -> None:
    # Imported lazily so that importing the registry never imports every worker (and
    # get() finds a loaded worker in the registry first: it is on the enqueue path).
    global _builtins_loaded
    if _builtins_loaded:
        return
    from engine.workers import builtin  # noqa: F401

    if name is not None and name not in _EXTRA and name in _REGISTRY:
        return
    from engine.workers import extra  # noqa: F401  (download, copy, notify: issue 7)

    _builtins_loaded = True


__all__ = ["Worker", "WorkContext", "WorkResult", "register", "register_lazy", "registered", "get", "names",
           "with_implied_constraints"]
