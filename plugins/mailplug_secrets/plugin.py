"""Hook implementations of the built-in secret-store plugin."""

from __future__ import annotations
