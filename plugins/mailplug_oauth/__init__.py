"""mailplug built-in plugin: oauth."""
