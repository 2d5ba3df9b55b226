"""Error keys of the OAuth plugin: the token endpoint, the authorization flow, its settings.

The mail server's own replies to XOAUTH2 (Gmail's 535 5.7.8, Microsoft's
535 5.7.139 …) are classified by the SMTP plugin; these keys cover what
happens between mailplug and the provider's sign-in service.
"""

from __future__ import annotations

from mailplug.plugin import Category, ErrorSpec

C = Category

_AUTHORIZE = (
    "Sign in again: run “mailplug accounts authorize {account}” (or use the program's "
    "“Authorize” button) and allow access in the browser. The mail waiting for this account "
    "will be sent afterwards."
)

REAUTHORIZE_REQUIRED = ErrorSpec(
    "oauth.reauthorize_required",
    C.AUTHENTICATION,
    False,
    "The permission to send mail from account “{account}” has expired or was revoked "
    "({provider} answered: {error}).",
    "This happens when access was revoked, the password of the mail account was changed, the "
    "permission was unused for six months, or — for Google apps still in testing mode — after "
    "seven days. " + _AUTHORIZE,
    pauses="account",
)
NOT_AUTHORIZED = ErrorSpec(
    "oauth.not_authorized",
    C.AUTHENTICATION,
    False,
    "Account “{account}” has not been authorized to send mail through {provider} yet.",
    "Run “mailplug accounts authorize {account}” once and allow access in the browser.",
    pauses="account",
)
TOKEN_ENDPOINT_UNAVAILABLE = ErrorSpec(
    "oauth.token_endpoint_unavailable",
    C.CONNECTION,
    True,
    "Connection failed: the sign-in service of {provider} ({host}) could not be reached "
    "({problem}).",
    "The message will be sent again automatically. Check the internet connection; if the "
    "problem persists, check whether the provider reports an outage.",
)
TOKEN_ENDPOINT_BAD_RESPONSE = ErrorSpec(
    "oauth.token_endpoint_bad_response",
    C.CONFIGURATION,
    False,
    "The sign-in service at {host} gave an answer mailplug cannot read (HTTP {status}).",
    "Check the token_endpoint setting of the account; leave it out to use the provider's "
    "default address.",
    pauses="account",
)
INVALID_CLIENT = ErrorSpec(
    "oauth.invalid_client",
    C.CONFIGURATION,
    False,
    "{provider} did not accept the application's client ID or client secret ({error}).",
    "Compare client_id and client_secret in the account's auth settings with the OAuth client "
    "in {console}. Google “Desktop app” clients need their client secret too (in installed "
    "programs it is not confidential); Microsoft public clients have none. A deleted or renewed "
    "secret must be replaced.",
    pauses="account",
)
UNAUTHORIZED_CLIENT = ErrorSpec(
    "oauth.unauthorized_client",
    C.CONFIGURATION,
    False,
    "The OAuth client is not allowed to use this kind of sign-in at {provider} ({error}).",
    "Create the OAuth client as a desktop (installed) application with a loopback redirect "
    "address, allow the mail-sending permission for it in {console}, and run “mailplug accounts "
    "authorize {account}” again.",
    pauses="account",
)
INVALID_SCOPE = ErrorSpec(
    "oauth.invalid_scope",
    C.CONFIGURATION,
    False,
    "{provider} refused the requested permission “{scope}” ({error}).",
    "Add this permission to the OAuth client (its consent screen or API permissions) in "
    "{console}, remove a custom scope setting from the account so the default is used, and run "
    "“mailplug accounts authorize {account}” again.",
    pauses="account",
)
TOKEN_REQUEST_FAILED = ErrorSpec(
    "oauth.token_request_failed",
    C.CONFIGURATION,
    False,
    "{provider} refused the token request: {error} ({description}).",
    "Check the account's OAuth settings (client_id, tenant, endpoints) and run “mailplug "
    "accounts authorize {account}” again. If it persists, give this message to support.",
    pauses="account",
)
NO_REFRESH_TOKEN = ErrorSpec(
    "oauth.no_refresh_token",
    C.CONFIGURATION,
    False,
    "{provider} granted access but returned no refresh token, so the permission could not be "
    "saved for later sending.",
    "For Microsoft the scope must include offline_access; for Google remove the program's "
    "access at https://myaccount.google.com/permissions and authorize again.",
    pauses="account",
)
CLIENT_ID_MISSING = ErrorSpec(
    "oauth.client_id_missing",
    C.CONFIGURATION,
    False,
    "The mail account settings are invalid or incomplete: no OAuth client ID is set for account "
    "“{account}”.",
    "Create an OAuth client of type “Desktop app” in {console} and put its ID in the account's "
    "auth settings (client_id).",
    pauses="account",
)
PROVIDER_UNKNOWN = ErrorSpec(
    "oauth.provider_unknown",
    C.CONFIGURATION,
    False,
    "The mail account settings are invalid or incomplete: the OAuth provider “{name}” is not "
    "known.",
    "Set provider to one of: {available}; or use the login method gmail-oauth2 or "
    "microsoft-oauth2.",
    pauses="account",
)
CLIENT_SECRET_ENV_MISSING = ErrorSpec(
    "oauth.client_secret_env_missing",
    C.CONFIGURATION,
    False,
    "The mail account settings are invalid or incomplete: the environment variable {env} with "
    "the OAuth client secret of account “{account}” is not set.",
    "Set the environment variable before starting the program, or remove client_secret_env "
    "from the account if the OAuth client has no secret.",
    pauses="account",
)
NO_SECRET_STORE = ErrorSpec(
    "oauth.no_secret_store",
    C.CONFIGURATION,
    False,
    "There is no place to keep the sign-in permission of account “{account}”: no secret store "
    "is available.",
    "Use the “file” or “keyring” secret store (the secret_store option of the mailer), or let "
    "the program supply access tokens itself.",
    pauses="account",
)
LIBRARY_MISSING = ErrorSpec(
    "oauth.library_missing",
    C.CONFIGURATION,
    False,
    "Sign-in with OAuth needs the packages Authlib and httpx, which are not installed ({problem}).",
    "Install them: pip install 'mailplug[oauth]'.",
    pauses="account",
)
NOT_OAUTH_ACCOUNT = ErrorSpec(
    "oauth.not_oauth_account",
    C.CONFIGURATION,
    False,
    "Account “{account}” does not sign in with OAuth (its login method is “{auth}”).",
    'Set auth = "gmail-oauth2" or auth = "microsoft-oauth2" for this account, with its '
    "client_id in auth_settings, and authorize again.",
)
TOKEN_PROVIDER_FAILED = ErrorSpec(
    "oauth.token_provider_failed",
    C.AUTHENTICATION,
    False,
    "The program's own sign-in component did not supply an access token for account "
    "“{account}” ({problem}).",
    "Sign in again in the program. If the problem persists, contact the program's support.",
    pauses="account",
)

# -- the interactive authorization (accounts authorize) ----------------------

STATE_MISMATCH = ErrorSpec(
    "oauth.state_mismatch",
    C.AUTHENTICATION,
    False,
    "The answer that reached the sign-in window did not belong to this authorization (wrong "
    "“state”) and was rejected.",
    "Start the authorization again and finish it in the browser window it opens; do not reuse "
    "sign-in links from earlier attempts.",
)
AUTHORIZATION_TIMEOUT = ErrorSpec(
    "oauth.authorization_timeout",
    C.AUTHENTICATION,
    False,
    "The sign-in in the browser was not finished in time (limit: {seconds} s).",
    "Run “mailplug accounts authorize {account}” again and finish signing in; use --timeout to "
    "allow more time.",
)
ACCESS_DENIED = ErrorSpec(
    "oauth.access_denied",
    C.AUTHENTICATION,
    False,
    "Access to account “{account}” was not granted in the browser ({error}).",
    "Run “mailplug accounts authorize {account}” again and allow access. If the Google app is in "
    "testing mode, add your address as a test user on its consent screen.",
)
REDIRECT_UNAVAILABLE = ErrorSpec(
    "oauth.redirect_unavailable",
    C.CONFIGURATION,
    False,
    "The local sign-in address on {host} could not be opened ({problem}).",
    "Close programs that may block local connections or choose another redirect_port in the "
    "account's auth settings, then try again.",
)

OAUTH_ERRORS: tuple[ErrorSpec, ...] = tuple(
    v for v in list(globals().values()) if isinstance(v, ErrorSpec)
)
