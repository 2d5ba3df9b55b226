"""mailplug built-in plugin: postgres (a shared outbox on PostgreSQL, extra ``postgres``)."""
