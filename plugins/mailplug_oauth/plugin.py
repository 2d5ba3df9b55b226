"""Hook implementations of the built-in oauth plugin."""

from __future__ import annotations
