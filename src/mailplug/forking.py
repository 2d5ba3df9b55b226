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

__all__ = ["ForkAware", "abandon", "register"]

log = logging.getLogger("mailplug")


class ForkAware(Protocol):
    def _after_fork_in_child(self) -> None:
        """Forget threads, loops, connections and locks inherited from the parent."""


_LIVE: weakref.WeakSet[ForkAware] = weakref.WeakSet()
#: Objects of the parent a child must neither use nor finalize (see the module docstring).
_ABANDONED: list[object] = []


def register(obj: ForkAware) -> None:
    """Have ``obj._after_fork_in_child()`` called in every child forked from now on."""
    _LIVE.add(obj)


def abandon(*objects: object) -> None:
    """Keep the parent's ``objects`` alive and untouched in this (child) process."""
    _ABANDONED.extend(o for o in objects if o is not None)


def _after_fork_in_child() -> None:
    for obj in list(_LIVE):
        try:
            obj._after_fork_in_child()
        except Exception:  # a hook of os.fork() must not raise into the host's fork()
            log.exception("resetting %r after fork failed", obj)


if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork
    os.register_at_fork(after_in_child=_after_fork_in_child)
