"""``mailplug paths``: where mailplug looks for the accounts file and keeps its data."""

from __future__ import annotations

import argparse

from ..commands import EX_OK
from ..texts import PATH_CONFIG, PATH_DATA, PATH_OUTBOX
from ._base import Context, command


def paths_of(ctx: Context) -> dict[str, str]:
    """The accounts file, the data directory and the default outbox file, as used now."""
    from ..config import default_config_path, default_data_dir

    config = ctx.config_path or default_config_path()
    data = ctx.data_dir or default_data_dir()
    return {
        "config": str(config),
        "config_exists": str(config.exists()).lower(),
        "data_dir": str(data),
        "outbox": str(data / "outbox.sqlite3"),
    }


@command("paths", help="show where the accounts file and the outbox are")
def paths(ctx: Context, args: argparse.Namespace) -> int:
    found = paths_of(ctx)
    if ctx.json:
        ctx.print_json(found)
        return EX_OK
    ctx.print(
        ctx.t(PATH_CONFIG, path=found["config"]),
        ctx.t(PATH_DATA, path=found["data_dir"]),
        ctx.t(PATH_OUTBOX, path=found["outbox"]),
    )
    return EX_OK
