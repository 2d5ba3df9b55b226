"""mailplug built-in plugin: sqlite."""
