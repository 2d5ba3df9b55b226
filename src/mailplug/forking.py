"""Fork safety: what a child process must forget of its parent's mailers.

``os.fork()`` copies memory but only the calling thread.  A :class:`~mailplug.mailer.Mailer`
started in the parent (gunicorn ``--preload``, uWSGI without lazy-apps, Celery
prefork, ``multiprocessing`` with the fork start method) leaves the child with
an event loop whose thread does not exist, an SQLite connection that belongs
to the parent, and pooled SMTP sockets shared with it.  Using any of them in the
child hangs or corrupts; closing them would close the parent's (an SMTP
``QUIT`` on a shared socket, a checkpoint of a shared WAL).

So every object holding such state registers itself here; after a fork, in the
child only, each one drops that state and rebuilds it on first use.  What it
dropped is kept referenced in :data:`_ABANDONED` for the child's lifetime so the
garbage collector never runs a finalizer that would touch the parent's
resources.  The parent is left as it was.
"""

from __future__ import annotations

import logging
import os
import weakref
from typing import Protocol

__all__ = ["ForkAware", "Parking", "abandon", "register"]

log = logging.getLogger("mailplug")


class ForkAware(Protocol):
    def _after_fork_in_child(self) -> None:
        """Forget threads, loops, connections and locks inherited from the parent."""


class Parking(Protocol):
    """A fork-aware object whose thread must stand still while the process forks."""

    def _before_fork(self) -> None: ...

    def _after_fork_in_parent(self) -> None: ...


_LIVE: weakref.WeakSet[ForkAware] = weakref.WeakSet()
#: Objects of the parent a child must neither use nor finalize (see the module docstring).
_ABANDONED: list[object] = []


def register(obj: ForkAware) -> None:
    """Have ``obj._after_fork_in_child()`` called in every child forked from now on."""
    _LIVE.add(obj)


def abandon(*objects: object) -> None:
    """Keep the parent's ``objects`` alive and untouched in this (child) process."""
    _ABANDONED.extend(o for o in objects if o is not None)


def _before_fork() -> None:
    # A thread caught inside a C library (SQLite, OpenSSL, the resolver) holds its
    # mutexes; a child forked at that moment inherits them locked.  Threads that
    # can stand still (a mailer's loop) wait in Python code until the fork is done.
    for obj in list(_LIVE):
        before = getattr(obj, "_before_fork", None)
        if before is not None:
            try:
                before()
            except Exception:
                log.exception("preparing %r for fork failed", obj)


def _after_fork_in_parent() -> None:
    for obj in list(_LIVE):
        after = getattr(obj, "_after_fork_in_parent", None)
        if after is not None:
            try:
                after()
            except Exception:
                log.exception("resuming %r after fork failed", obj)


def _after_fork_in_child() -> None:
    for obj in list(_LIVE):
        try:
            obj._after_fork_in_child()
        except Exception:  # a hook of os.fork() must not raise into the host's fork()
            log.exception("resetting %r after fork failed", obj)


if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork
    os.register_at_fork(
        before=_before_fork,
        after_in_parent=_after_fork_in_parent,
        after_in_child=_after_fork_in_child,
    )
