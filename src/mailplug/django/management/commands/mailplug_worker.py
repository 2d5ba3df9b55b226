"""``python manage.py mailplug_worker``: send the project's outbox (run one per outbox)."""

from __future__ import annotations

import asyncio
import signal
from typing import Any

from django.core.management.base import BaseCommand

from ...conf import build_mailer


class Command(BaseCommand):  # type: ignore[misc]  # Django ships no type hints
    help = "Send the mail queued by the project: wake on new mail and on retry times."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="send what is due, then exit")
        parser.add_argument("--account", help="only this account")
        parser.add_argument(
            "--poll", type=float, default=2.0, help="seconds between looks for new mail"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        mailer = build_mailer().aio
        asyncio.run(self._run(mailer, options))

    async def _run(self, mailer: Any, options: Any) -> None:
        async with mailer:
            if options["once"]:
                report = await mailer.flush(account=options["account"])
                self.stdout.write(" ".join(f"{k}={v}" for k, v in sorted(report.counts.items())))
                return
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, stop.set)
            self.stderr.write("mailplug worker started (Ctrl-C stops)")
            await mailer.work(stop=stop, poll_interval=options["poll"], account=options["account"])
