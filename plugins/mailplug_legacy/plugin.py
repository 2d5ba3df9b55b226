"""Hook implementations of the built-in legacy plugin."""

from __future__ import annotations
