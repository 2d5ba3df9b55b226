"""``settings.MAILPLUG``: the mailer a Django project sends through.

Keys (all optional)::

    MAILPLUG = {
        "ACCOUNTS": [...],        # account dicts (as in the accounts file), or
        "CONFIG": "/etc/app/mail.toml",   # an accounts file (default: none read)
        "ACCOUNT": "biuro",       # the account every message goes out from
                                  # (default: the one whose address is From, else the default)
        "DATA_DIR": BASE_DIR / "mail",    # where the outbox and tokens live
        "OUTBOX": "sqlite",       # the storage plugin
        "OUTBOX_URL": "sqlite:////srv/app/outbox.sqlite3",  # or a path
        "LANGUAGE": "pl",         # default: LANGUAGE_CODE
        "PLUGINS": [],            # plugin objects the project registers itself
        "DISABLE_PLUGINS": [],
        "FACTORY": "myproject.mail:make_mailer",  # or build the Mailer yourself
    }

One :class:`~mailplug.Mailer` per process, built on first use and rebuilt when
the setting changes (``override_settings`` in tests).  It is fork-safe, so
``gunicorn --preload`` and uWSGI without lazy-apps work.
"""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed

from ..config import Config, load_config
from ..hostapp import load_sync
from ..mailer import Mailer

__all__ = ["close_mailer", "get_mailer", "mailer_options", "options"]

_lock = threading.Lock()
_mailer: Mailer | None = None


def options() -> dict[str, Any]:
    """``settings.MAILPLUG`` (empty when not set)."""
    return dict(getattr(settings, "MAILPLUG", None) or {})


def _lang(conf: dict[str, Any]) -> str | None:
    lang = conf.get("LANGUAGE") or getattr(settings, "LANGUAGE_CODE", None)
    return str(lang).replace("-", "_") if lang else None


def mailer_options(conf: dict[str, Any] | None = None) -> dict[str, Any]:
    """Keyword arguments of :class:`~mailplug.Mailer` for these settings."""
    conf = options() if conf is None else conf
    kwargs: dict[str, Any] = {
        "accounts": list(conf.get("ACCOUNTS", ())),
        "lang": _lang(conf),
        "config": load_config(conf["CONFIG"]) if conf.get("CONFIG") else Config(),
    }
    for key, arg in (
        ("DATA_DIR", "data_dir"),
        ("OUTBOX", "outbox"),
        ("OUTBOX_URL", "outbox_path"),
        ("PLUGINS", "plugins"),
        ("DISABLE_PLUGINS", "disable_plugins"),
    ):
        if key in conf:
            kwargs[arg] = conf[key]
    return kwargs


def build_mailer() -> Mailer:
    """A new mailer for the current settings (``FACTORY`` if given)."""
    conf = options()
    if conf.get("FACTORY"):
        return load_sync(str(conf["FACTORY"]))
    kwargs = mailer_options(conf)
    return Mailer(kwargs.pop("accounts"), **kwargs)


def get_mailer() -> Mailer:
    """This process's mailer (built on first use)."""
    global _mailer  # noqa: PLW0603 - one mailer per process, like Django's connections
    with _lock:
        if _mailer is None:
            _mailer = build_mailer()
        return _mailer


def close_mailer() -> None:
    """Close this process's mailer; the next :func:`get_mailer` builds a new one."""
    global _mailer
    with _lock:
        mailer, _mailer = _mailer, None
    if mailer is not None:
        mailer.close()


def _on_setting_changed(*, setting: str, **_: Any) -> None:
    if setting in ("MAILPLUG", "LANGUAGE_CODE"):
        close_mailer()


setting_changed.connect(_on_setting_changed, dispatch_uid="mailplug.django.conf")
