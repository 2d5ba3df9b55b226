"""Hook implementations of the built-in smtp plugin."""

from __future__ import annotations
