"""mailplug built-in plugin: legacy — import mail and send settings left by older programs.

Importers (see :class:`mailplug.plugin.Importer`): ``eml`` (files and folders
of them), ``mbox`` (incl. Thunderbird's "Unsent Messages" and "Sent"),
``maildir`` (and Maildir++ trees) and ``thunderbird`` (a profile folder: its
accounts and its unsent and sent mail).  :mod:`mailplug_legacy.message` reads
one message liberally and may be used by third-party importers.
"""
