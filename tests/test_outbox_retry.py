"""The retry policy: backoff, per-recipient outcomes, pauses, quota, expiry, uncertainty."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from mailplug.errors import ConfigurationError, ServerReply
from mailplug.models import Account
from mailplug.outbox import Claim, RecipientState, RecipientStatus
from mailplug.retry import RetryPolicy, fingerprint
from mailplug.storage import Status
from mailplug.transport import Envelope, RecipientResult, SendResult
from mailplug_smtp import keys as smtp_keys
from mailplug_smtp import replies

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def claim(
    *addresses: str,
    attempts: int = 0,
    age: timedelta = timedelta(minutes=5),
    sent: tuple[str, ...] = (),
) -> Claim:
    states = tuple(RecipientState(a, RecipientStatus.SENT) for a in sent) + tuple(
        RecipientState(a) for a in addresses
    )
    return Claim(
        id="e1",
        message_id="<m1@firma.pl>",
        account="biuro",
        envelope=Envelope("biuro@firma.pl", tuple(addresses), "<m1@firma.pl>"),
        data=b"...",
        recipients=states,
        attempts=attempts,
        created_at=NOW - age,
        send_at=None,
        previous=Status.QUEUED,
        lease_until=NOW + timedelta(minutes=5),
        age_from=NOW - age,
    )


def test_backoff_is_exponential_clamped_and_reproducible() -> None:
    exact = RetryPolicy(min_delay=60, max_delay=3600, factor=2, jitter=0)
    assert [exact.delay(n) for n in range(1, 9)] == [60, 120, 240, 480, 960, 1920, 3600, 3600]
    policy = RetryPolicy(min_delay=60, max_delay=3600, factor=2, jitter=0.25)
    first = [policy.delay(n, random.Random(7)) for n in range(1, 12)]
    again = [policy.delay(n, random.Random(7)) for n in range(1, 12)]
    assert first == again
    for n, delay in enumerate(first, start=1):
        base = 60 * 2 ** (n - 1)
        assert 60 <= delay <= 3600
        assert min(3600, max(60, base * 0.75)) <= delay <= min(3600, base * 1.25)
    rng = random.Random(1)
    spread = {round(policy.delay(3, rng)) for _ in range(50)}
    assert len(spread) > 10  # jitter really spreads retries


def test_transient_error_defers_with_the_schedule() -> None:
    policy = RetryPolicy(jitter=0)
    error = replies.SERVER_ERROR_TEMPORARY.error(
        reply=ServerReply(451, "4.3.0", "Try again later"), host="mx.test"
    )
    decision = policy.after_error(claim("jan@example.pl", attempts=2), error, now=NOW)
    out = decision.outcome
    assert out.status is Status.DEFERRED
    assert out.next_attempt_at == NOW + timedelta(seconds=240)
    assert out.attempt.counted
    assert out.attempt.code == 451 and out.attempt.enhanced == "4.3.0"
    assert out.error is not None and out.error.key == "smtp.server.error_temporary"
    assert [r.status for r in out.recipients] == [RecipientStatus.PENDING]
    assert decision.pause is None and decision.hold is None


def test_connection_failure_holds_the_account_until_the_retry() -> None:
    policy = RetryPolicy(jitter=0)
    error = smtp_keys.CONNECT_REFUSED.error(host="mx.test", port=587)
    decision = policy.after_error(claim("jan@example.pl"), error, now=NOW)
    assert decision.outcome.status is Status.DEFERRED
    assert decision.hold is not None
    assert decision.hold.until == decision.outcome.next_attempt_at == NOW + timedelta(seconds=60)


def test_permanent_error_fails_pending_recipients_only() -> None:
    policy = RetryPolicy()
    error = replies.MESSAGE_TOO_BIG.error(reply=ServerReply(552, "5.3.4", "Too big"))
    failed = policy.after_error(claim("jan@example.pl"), error, now=NOW).outcome
    assert failed.status is Status.FAILED
    assert failed.next_attempt_at is None
    partial = policy.after_error(
        claim("ala@example.pl", sent=("jan@example.pl",)), error, now=NOW
    ).outcome
    assert partial.status is Status.PARTIAL
    assert [(r.address, r.status) for r in partial.recipients] == [
        ("ala@example.pl", RecipientStatus.FAILED)
    ]


def test_per_recipient_refusals() -> None:
    policy = RetryPolicy(jitter=0)
    c = claim("jan@example.pl", "nikt@example.pl", "pelna@example.pl")
    result = SendResult(
        "<m1@firma.pl>",
        [
            RecipientResult("jan@example.pl", True, 250, "2.1.5", "OK"),
            RecipientResult(
                "nikt@example.pl",
                False,
                550,
                "5.1.1",
                "No such user",
                error=replies.RECIPIENT_UNKNOWN,
            ),
            RecipientResult(
                "pelna@example.pl",
                False,
                452,
                "4.2.2",
                "Mailbox full",
                error=replies.MAILBOX_FULL_TEMPORARY,
            ),
        ],
        host="mx.test",
    )
    out = policy.after_result(c, result, now=NOW).outcome
    assert out.status is Status.DEFERRED
    states = {r.address: r for r in out.recipients}
    assert states["jan@example.pl"].status is RecipientStatus.SENT
    assert states["nikt@example.pl"].status is RecipientStatus.FAILED
    assert states["nikt@example.pl"].error is not None
    assert states["nikt@example.pl"].error.key == "smtp.recipient.unknown"
    assert states["pelna@example.pl"].status is RecipientStatus.PENDING
    assert out.sent_at == NOW
    assert out.next_attempt_at == NOW + timedelta(seconds=60)
    # The next attempt goes to the pending recipient only; it succeeds: partial.
    later = claim("pelna@example.pl", attempts=1, sent=("jan@example.pl",))
    ok = SendResult("<m1@firma.pl>", [RecipientResult("pelna@example.pl", True, 250)])
    assert policy.after_result(later, ok, now=NOW).outcome.status is Status.SENT
    refused_for_good = _with_failed(later, "nikt@example.pl")
    assert policy.after_result(refused_for_good, ok, now=NOW).outcome.status is Status.PARTIAL


def _fields(c: Claim) -> dict[str, object]:
    return {name: getattr(c, name) for name in Claim.__slots__}


def _with_failed(c: Claim, address: str) -> Claim:
    data = _fields(c)
    data["recipients"] = (*c.recipients, RecipientState(address, RecipientStatus.FAILED))
    return Claim(**data)  # type: ignore[arg-type]


def test_account_errors_pause_without_burning_a_retry() -> None:
    policy = RetryPolicy()
    error = replies.AUTH_INVALID_CREDENTIALS.error(
        reply=ServerReply(535, "5.7.8", "Authentication credentials invalid")
    )
    decision = policy.after_error(
        claim("jan@example.pl", attempts=3), error, now=NOW, fingerprint="abc"
    )
    assert decision.outcome.status is Status.QUEUED
    assert decision.outcome.next_attempt_at == NOW
    assert not decision.outcome.attempt.counted
    assert decision.pause is not None
    assert (decision.pause.until, decision.pause.fingerprint) == (None, "abc")
    assert decision.pause.error is not None
    assert decision.pause.error.key == "smtp.auth.invalid_credentials"


def test_daily_quota_defers_until_the_quota_resets() -> None:
    error = replies.DAILY_QUOTA.error(reply=ServerReply(550, "5.4.5", "Daily sending quota"))
    midnight = RetryPolicy().after_error(claim("jan@example.pl"), error, now=NOW)
    reset = midnight.outcome.next_attempt_at
    assert reset is not None and reset > NOW
    local = reset.astimezone()
    assert (local.hour, local.minute, local.second) == (0, 0, 0)
    assert reset - NOW <= timedelta(days=1)
    assert midnight.outcome.status is Status.DEFERRED
    assert not midnight.outcome.attempt.counted
    assert midnight.hold is not None and midnight.hold.until == reset
    day = RetryPolicy(quota_reset="24h").after_error(claim("jan@example.pl"), error, now=NOW)
    assert day.outcome.next_attempt_at == NOW + timedelta(days=1)


def test_expiry_gives_up_after_max_age() -> None:
    policy = RetryPolicy()
    error = replies.SERVER_ERROR_TEMPORARY.error(reply=ServerReply(451, "4.3.0", "Later"))
    young = claim("jan@example.pl", age=timedelta(days=4, hours=23))
    assert policy.after_error(young, error, now=NOW).outcome.status is Status.DEFERRED
    old = claim("jan@example.pl", age=timedelta(days=5))
    out = policy.after_error(old, error, now=NOW).outcome
    assert out.status is Status.FAILED
    assert out.error is not None and out.error.key == "outbox.expired"
    assert out.error.params["days"] == 5
    assert out.error.params["last_error"] == "smtp.server.error_temporary"
    from mailplug.outbox_keys import OUTBOX_EXPIRED

    rendered = out.error.error({OUTBOX_EXPIRED.key: OUTBOX_EXPIRED})
    assert "5 days" in rendered.message("en")
    assert "5 dni" in rendered.message("pl")


def test_uncertain_outcome_retries_or_holds() -> None:
    error = smtp_keys.UNCERTAIN.error(host="mx.test")
    retry = RetryPolicy(jitter=0).after_error(claim("jan@example.pl"), error, now=NOW).outcome
    assert retry.status is Status.UNCERTAIN
    assert retry.next_attempt_at == NOW + timedelta(seconds=60)
    hold = RetryPolicy(uncertain="hold").after_error(claim("jan@example.pl"), error, now=NOW)
    assert hold.outcome.status is Status.UNCERTAIN
    assert hold.outcome.next_attempt_at is None


def test_policy_from_the_accounts_file() -> None:
    policy = RetryPolicy.from_config(
        {"min_delay": 30, "max_delay": 600, "max_age_days": 2, "uncertain": "hold"}
    )
    assert (policy.min_delay, policy.max_delay, policy.max_age, policy.uncertain) == (
        30,
        600,
        2 * 86400,
        "hold",
    )
    with pytest.raises(ConfigurationError):
        RetryPolicy.from_config({"uncertain": "sometimes"})


def test_fingerprint_changes_with_the_settings() -> None:
    data = {
        "name": "biuro",
        "email": "biuro@firma.pl",
        "settings": {"host": "smtp.firma.pl"},
        "auth": "password",
        "auth_settings": {"password": "stare"},
    }
    a = Account.model_validate(data)
    same = Account.model_validate(data)
    new_password = Account.model_validate({**data, "auth_settings": {"password": "nowe"}})
    new_host = Account.model_validate({**data, "settings": {"host": "smtp2.firma.pl"}})
    assert fingerprint(a) == fingerprint(same)
    assert len({fingerprint(a), fingerprint(new_password), fingerprint(new_host)}) == 3
    assert "stare" not in fingerprint(a)
