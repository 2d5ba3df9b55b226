"""mailplug built-in plugin: smtp."""
