"""mailplug built-in plugin: legacy."""
