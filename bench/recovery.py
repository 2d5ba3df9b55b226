"""Crash recovery: time from ``kill -9`` of a flusher to its mail being sent again.

    python bench/recovery.py                   # the default lease, and the operator's release
    python bench/recovery.py --lease 300       # the lease mailplug 0.1 used (takes 5 min)

A flusher subprocess sends 40 queued messages to an aiosmtpd server (0.2 s per
message, so the kill finds mail held); it is killed with SIGKILL after three
deliveries.  Then:

* *lease*: a worker (``outbox work``, as a host would run) notices the dead
  flusher's entries when their lease runs out;
* *release*: an operator runs ``mailplug outbox release --dead`` and the worker
  sends at once.

Printed: how many entries the dead flusher held, and the seconds from the kill
until the last of them was delivered again.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for extra in (ROOT / "src", ROOT / "plugins"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from mailplug import AsyncMailer, Message  # noqa: E402
from mailplug.dispatch import DEFAULT_LEASE  # noqa: E402
from mailplug.testing.smtp import Script, SMTPServer  # noqa: E402

FLUSHER = """
import asyncio, json, sys
from mailplug import AsyncMailer
cfg = json.loads(sys.argv[1])
async def main():
    async with AsyncMailer([cfg["account"]], data_dir=cfg["data_dir"], entry_points=False) as m:
        await m.flush(lease=cfg["lease"])
asyncio.run(main())
"""


def _wait(predicate: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached")
        time.sleep(0.01)


def one_round(lease: float, *, release: bool) -> tuple[int, float]:
    server = SMTPServer(script=Script(delays={"data": 0.2})).start()
    account = server.account(name="biuro", email="biuro@firma.pl")
    with tempfile.TemporaryDirectory(prefix="mailplug-recovery-") as tmp:
        data = Path(tmp) / "data"

        async def enqueue() -> None:
            async with AsyncMailer([account], data_dir=data, entry_points=False) as m:
                await m.enqueue_many(
                    [
                        Message(to=f"odbiorca{i}@example.com", subject=f"{i}", text="x")
                        for i in range(40)
                    ]
                )

        asyncio.run(enqueue())
        cfg = {"account": account, "data_dir": str(data), "lease": lease}
        proc = subprocess.Popen([sys.executable, "-c", FLUSHER, json.dumps(cfg)])
        _wait(lambda: len(server.messages) >= 3, 60)
        os.kill(proc.pid, signal.SIGKILL)
        killed = time.monotonic()
        proc.wait(10)

        async def recover() -> tuple[int, float]:
            async with AsyncMailer([account], data_dir=data, entry_points=False) as m:
                held = await m.query(statuses=["sending"], limit=1000)
                ids = {e.id for e in held}
                if release:
                    env = {**os.environ, "MAILPLUG_DATA_DIR": str(data)}
                    done = await asyncio.create_subprocess_exec(
                        sys.executable, "-m", "mailplug", "outbox", "release", "--dead", env=env
                    )
                    await done.wait()
                stop = asyncio.Event()
                worker = asyncio.create_task(m.work(stop=stop, poll_interval=0.5))
                while True:
                    statuses = [(await m.status(i)).status for i in ids]
                    if all(str(s) == "sent" for s in statuses):
                        break
                    await asyncio.sleep(0.05)
                took = time.monotonic() - killed
                stop.set()
                await worker
                return len(ids), took

        result = asyncio.run(recover())
    server.stop()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lease", type=float, default=DEFAULT_LEASE)
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} CPUs, load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print("baseline (mailplug 0.1): 128 entries claimed ahead, lease 300 s, no release command")
    for release in (False, True):
        held, took = one_round(args.lease, release=release)
        how = "outbox release --dead" if release else f"lease runs out ({args.lease:g} s)"
        print(f"{how:32}  held by the dead flusher: {held:3}  kill -9 -> all resent: {took:6.2f} s")


if __name__ == "__main__":
    main()
