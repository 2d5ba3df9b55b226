"""Running the account check: the setup step, then the probes plugins registered.

See :mod:`mailplug.check` for what a report holds.  The ``setup`` step checks
the mail component, the plugins and the settings; then the probe registered
under the account's transport name runs (``smtp``: connect, TLS, login …),
then every probe not named after a transport (``imap`` …).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from . import check_keys as ck
from . import keys
from .check import CheckOptions, CheckReport, Fix, Note, Probe
from .errors import ErrorSpec, MailplugError

if TYPE_CHECKING:
    from .models import Account
    from .runtime import Runtime

__all__ = ["SETUP_STEP", "check_account"]

SETUP_STEP = "setup"


def _field_fix(error: MailplugError) -> Fix | None:
    field_name = error.params.get("field")
    if isinstance(field_name, str) and field_name not in ("?", ""):
        return Fix(field_name)
    return None


def _refused(runtime: Runtime) -> list[Any]:
    return [i for i in runtime.plugins.infos if i.status == "refused" and i.error is not None]


def _missing_plugin_error(
    runtime: Runtime, kind: str, name: str, spec: ErrorSpec, available: list[str]
) -> MailplugError:
    # A provider plugin that was refused (too old for this mailplug, broken)
    # is the likely reason the transport or login method is missing.
    refused = _refused(runtime)
    matching = [i for i in refused if name in (i.name, i.distribution)]
    if matching or len(refused) == 1:
        error: MailplugError = (matching or refused)[0].error
        return error
    return spec.error(name=name, available=", ".join(sorted(available)) or "—")


async def _setup(runtime: Runtime, account: Account, options: CheckOptions) -> CheckReport:
    from ._version import API_VERSION, __version__
    from .version import require_version

    report = CheckReport(account=account.name, transport=account.transport)
    owner = {
        name: info.name
        for info in runtime.plugins.infos
        for kind, names in info.provides.items()
        if kind in ("transport", "auth")
        for name in names
    }
    seen: dict[str, Any] = {
        "mailplug": __version__,
        "api": API_VERSION,
        "transport": account.transport,
        "transport_plugin": owner.get(account.transport),
        "auth": account.auth,
        "auth_plugin": owner.get(account.auth) if account.auth else None,
    }
    notes = [
        Note(ck.NOTE_REFUSED_PLUGIN, {"plugin": i.name, "reason": i.error})
        for i in _refused(runtime)
    ]
    if notes:
        seen["refused_plugins"] = [i.name for i in _refused(runtime)]
    summary = Note(
        ck.SUMMARY_SETUP,
        {"version": __version__, "transport": account.transport, "auth": account.auth or "—"},
    )
    error: MailplugError | None = None
    fix: Fix | None = None
    if options.require:
        seen["required"] = options.require
        try:
            require_version(options.require)
        except MailplugError as exc:
            error = exc
    if error is None and account.transport not in runtime.plugins.transports:
        available = sorted(runtime.plugins.transports)
        error = _missing_plugin_error(
            runtime, "transport", account.transport, keys.TRANSPORT_UNKNOWN, available
        )
        if error.spec is keys.TRANSPORT_UNKNOWN and "smtp" in available:
            fix = Fix("transport", "smtp")
        elif error.spec is keys.TRANSPORT_UNKNOWN:
            fix = Fix("transport")
    if error is None and account.auth is not None and account.auth not in runtime.plugins.auth:
        available = sorted(runtime.plugins.auth)
        error = _missing_plugin_error(runtime, "auth", account.auth, keys.AUTH_UNKNOWN, available)
        if error.spec is keys.AUTH_UNKNOWN:
            fix = Fix("auth")
    if error is None:
        try:
            await runtime.transport_for(account)
        except MailplugError as exc:
            error, fix = exc, _field_fix(exc)
    if error is not None:
        report.failed(
            SETUP_STEP, runtime.localize(error), fix=fix, seen=seen, summary=summary, notes=notes
        )
    else:
        report.passed(SETUP_STEP, seen=seen, summary=summary, notes=notes)
    return report


async def check_account(
    runtime: Runtime,
    name: str,
    *,
    rcpt: str | None = None,
    options: CheckOptions | None = None,
) -> CheckReport:
    """Check the account ``name`` step by step (see the module docstring).

    :param rcpt: a test recipient: the server is asked whether it would take
        mail from the account to this address; nothing is sent.
    :raises mailplug.errors.AccountNotConfiguredError: no account of that name.
    """
    account = runtime.account(name)
    if rcpt is not None:
        from .models import Address

        rcpt = Address.parse(rcpt, field="rcpt").ascii_email
    options = options or CheckOptions()
    if options.presets is None:
        options = replace(options, presets=runtime.plugins.presets)
    if not options.errors:
        options = replace(options, errors=dict(runtime.plugins.errors))
    report = await _setup(runtime, account, options)
    report.translator = runtime.translator
    if not report.ok:
        report.skip_rest(["transport"])
        return report

    transport = await runtime.transport_for(account)
    auth = await runtime.authenticator(account)
    probes = runtime.plugins.probes

    async def run(probe: Probe) -> CheckReport | None:
        return await probe(
            account,
            transport=transport,
            auth=auth,
            services=runtime.services,
            rcpt=rcpt,
            options=options,
        )

    own = probes.get(account.transport)
    probed = await run(own) if own is not None else None
    if probed is None:
        report.skipped("transport", Note(ck.SKIP_NO_PROBE, {"transport": account.transport}))
    else:
        report.extend(probed)
    report.where = report.where or account.transport
    # Then the probes of the account's other sides (IMAP …): any probe not named
    # after a transport.
    for probe_name, probe in probes.items():
        if probe_name in runtime.plugins.transports:
            continue
        extra = await run(probe)
        if extra is not None:
            report.extend(extra)
    for step in report.steps:
        if step.error is not None:
            runtime.localize(step.error)
    return report
