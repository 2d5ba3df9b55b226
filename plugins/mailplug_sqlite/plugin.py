"""Hook implementations of the built-in sqlite plugin."""

from __future__ import annotations
