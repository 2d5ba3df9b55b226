"""mailplug built-in plugin: secret stores (file, OS keyring)."""
