"""The installed mailplug version and the plugin API version it offers."""

__version__ = "0.1.0"

#: Version of the hook and object API that plugins build against.  A plugin
#: declares the range it supports (``mailplug_api = ">=1,<2"``); the plugin
#: manager refuses a plugin whose range this version does not satisfy.
API_VERSION = "1.0"
