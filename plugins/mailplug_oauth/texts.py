"""User-facing texts of the OAuth plugin: the authorize command and the browser pages."""

from __future__ import annotations

from mailplug.plugin import Text

OPENING_BROWSER = Text("Opening the browser to sign in to {provider} as {username}…")
OPEN_THIS_URL = Text("Open this address in a browser and sign in to {provider} as {username}:")
IF_NOT_OPENED = Text("If the browser did not open, open this address yourself:")
WAITING = Text("Waiting for the browser (at most {seconds} s)…")
AUTHORIZED = Text("Account “{account}” is authorized. The permission is kept in the {store} store.")
RESUMED = Text("The mail waiting for this account will be sent again.")

PAGE_TITLE = Text("mailplug sign-in")
PAGE_DONE = Text("Signed in. You can close this window and return to the program.")
PAGE_DENIED = Text("Access was not granted. You can close this window.")
PAGE_WRONG_STATE = Text(
    "This answer does not belong to the sign-in the program is waiting for and was rejected."
)

OAUTH_TEXTS: tuple[Text, ...] = tuple(v for v in list(globals().values()) if isinstance(v, Text))
