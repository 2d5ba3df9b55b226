"""Loading a host application's mailer by name: ``myproject.mail:make_mailer``.

The way gunicorn and Celery load an app: a separate worker process
(``mailplug outbox work --app myproject.mail:make_mailer``, Django's
``MAILPLUG["FACTORY"]``) gets the same accounts and plugins the host passes
in code, instead of only those of the accounts file — so it can send the
host's mail rather than leaving it for the host.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

from . import keys
from .mailer import AsyncMailer, Mailer

__all__ = ["load_app", "load_async", "load_sync"]


def load_app(ref: str) -> AsyncMailer | Mailer:
    """The mailer ``ref`` names: ``module:attribute``; a callable is called without arguments.

    The current directory is importable, as it is for ``gunicorn`` (a project's
    own module is found when the command runs in the project).

    :raises mailplug.errors.ConfigurationError: ``app.not_found``, ``app.invalid``.
    """
    module_name, sep, attr = ref.partition(":")
    if not sep or not module_name or not attr:
        raise keys.HOST_APP_NOT_FOUND.error(app=ref, problem="expected module:function")
    cwd = str(Path.cwd())
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise keys.HOST_APP_NOT_FOUND.error(app=ref, problem=str(exc), cause=exc) from exc
    found: Any = module
    for part in attr.split("."):
        try:
            found = getattr(found, part)
        except AttributeError:
            raise keys.HOST_APP_NOT_FOUND.error(
                app=ref, problem=f"{module_name} has no {attr}"
            ) from None
    if callable(found) and not isinstance(found, AsyncMailer | Mailer):
        found = found()
    if not isinstance(found, AsyncMailer | Mailer):
        raise keys.HOST_APP_INVALID.error(app=ref, problem=f"got {type(found).__name__}")
    return found


def load_async(ref: str) -> AsyncMailer:
    """:func:`load_app` for asyncio code (a :class:`Mailer` gives its :attr:`~Mailer.aio`)."""
    found = load_app(ref)
    return found.aio if isinstance(found, Mailer) else found


def load_sync(ref: str) -> Mailer:
    """:func:`load_app` for plain threads (an :class:`AsyncMailer` gets a sync facade)."""
    found = load_app(ref)
    return found if isinstance(found, Mailer) else Mailer.around(found)
