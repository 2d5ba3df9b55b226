"""The retry policy: what happens to a message after an attempt.

Decisions follow the error's :class:`~mailplug.errors.ErrorSpec`, never a list
of keys:

* delivered to everyone → ``sent``;
* a recipient refused for good → only that recipient fails; the others go on
  (``partial`` when some got it and the rest were refused);
* a transient error → ``deferred``, retried with exponential backoff and
  jitter, clamped to [``min_delay``, ``max_delay``]; after ``max_age`` (5 days,
  like Postfix) the message is given up as ``failed`` (``outbox.expired``);
* ``spec.pauses == "account"`` (wrong password, bad settings) → the message
  goes back to the queue without burning a retry and the **account** is paused
  until its settings change or someone resumes it;
* a connection failure (category ``connection``) → deferred, and the account
  is held until that retry time (no point hammering a server that is down);
* ``spec.retry == "quota-reset"`` (a used-up daily sending quota, whichever
  plugin's key says so) → deferred, and the account held, until the quota
  resets (next local midnight, or 24 h);
* ``spec.retry == "uncertain"`` (the connection dropped after the end of
  DATA) → ``uncertain``: retried with the same Message-ID
  (``uncertain="retry"``, the default) or held for a person (``"hold"``).
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from . import keys
from .errors import SERVER_UNKNOWN, Category, ErrorInfo
from .outbox import (
    AccountPause,
    Attempt,
    Claim,
    Outcome,
    RecipientState,
    RecipientStatus,
)
from .outbox_keys import OUTBOX_EXPIRED
from .status import Status
from .transport import RecipientsRefusedError, SendResult

if TYPE_CHECKING:
    from .errors import MailplugError
    from .models import Account

__all__ = ["Decision", "RetryPolicy", "fingerprint"]


@dataclass(frozen=True)
class RetryPolicy:
    """When to try again.  Read from the ``[retry]`` table of the accounts file.

    :param min_delay: seconds before the first retry.
    :param max_delay: the longest wait between two attempts.
    :param factor: each retry waits this many times longer than the previous.
    :param jitter: random spread (0.25: ±25 %), so many messages do not retry in step.
    :param max_age: seconds after which a message still not delivered is given up.
    :param uncertain: ``"retry"`` (same Message-ID) or ``"hold"`` for a person to decide.
    :param quota_reset: ``"midnight"`` (next local midnight) or ``"24h"``.
    """

    min_delay: float = 60.0
    max_delay: float = 3600.0
    factor: float = 2.0
    jitter: float = 0.25
    max_age: float = 5 * 86400.0
    uncertain: Literal["retry", "hold"] = "retry"
    quota_reset: Literal["midnight", "24h"] = "midnight"

    @classmethod
    def from_config(cls, data: Mapping[str, Any] | None) -> RetryPolicy:
        """From the ``[retry]`` table: ``min_delay``, ``max_delay`` (seconds),
        ``max_age_days``, ``uncertain``, ``quota_reset``."""
        if not data:
            return cls()
        options: dict[str, Any] = {}
        for name in ("min_delay", "max_delay", "factor", "jitter", "max_age"):
            if name in data:
                options[name] = float(data[name])
        if "max_age_days" in data:
            options["max_age"] = float(data["max_age_days"]) * 86400.0
        for name in ("uncertain", "quota_reset"):
            if name in data:
                options[name] = str(data[name])
        policy = cls(**options)
        if policy.uncertain not in ("retry", "hold") or policy.quota_reset not in (
            "midnight",
            "24h",
        ):
            raise keys.ACCOUNT_SETTINGS_PROBLEM.error(
                problem="[retry] uncertain must be “retry” or “hold”, quota_reset “midnight” "
                "or “24h”"
            )
        return policy

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after the ``attempt``-th failed attempt (1 = the first)."""
        base = self.min_delay * self.factor ** max(0, attempt - 1)
        if self.jitter:
            spread = (rng or random).uniform(-self.jitter, self.jitter)
            base *= 1.0 + spread
        return min(self.max_delay, max(self.min_delay, base))

    def quota_resets_at(self, now: datetime) -> datetime:
        """When a used-up daily quota is available again."""
        if self.quota_reset == "24h":
            return now + timedelta(days=1)
        local = now.astimezone()
        midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        return midnight.astimezone(now.tzinfo)

    def expired(self, claim: Claim, now: datetime) -> bool:
        return (now - claim.age_from).total_seconds() >= self.max_age

    # -- decisions ------------------------------------------------------------

    def after_result(
        self,
        claim: Claim,
        result: SendResult,
        *,
        now: datetime,
        worker: str | None = None,
        rng: random.Random | None = None,
    ) -> Decision:
        """Decide after an attempt that reached the end of DATA (some recipients accepted)."""
        if all(r.accepted for r in result.recipients):
            return self._delivered(claim, result, now, worker)
        by_address = {r.address.lower(): r for r in result.recipients}
        changed: list[RecipientState] = []
        transient: list[ErrorInfo] = []
        quota = False
        for address in claim.envelope.recipients:
            r = by_address.get(address.lower())
            if r is None or r.accepted:
                changed.append(RecipientState(address, RecipientStatus.SENT, None, now))
                continue
            spec = r.error or SERVER_UNKNOWN
            quota = quota or (spec.transient and spec.retry == "quota-reset")
            info = ErrorInfo(
                key=spec.key,
                code=r.code,
                enhanced=r.enhanced,
                text=r.text,
                host=result.host,
                recipient=address,
            )
            if spec.transient:
                transient.append(info)
                changed.append(RecipientState(address, RecipientStatus.PENDING, info, now))
            else:
                changed.append(RecipientState(address, RecipientStatus.FAILED, info, now))
        reply = result.reply
        # The entry's reason: why it still waits (a transient refusal), else why it failed.
        first_error = transient[0] if transient else None
        first_error = first_error or next((s.error for s in changed if s.error), None)
        expired = False
        next_at: datetime | None = None
        hold_until: datetime | None = None
        if transient:
            if self.expired(claim, now):
                expired = True
                changed = [
                    RecipientState(s.address, RecipientStatus.FAILED, self._expired(s.error), now)
                    if s.status is RecipientStatus.PENDING
                    else s
                    for s in changed
                ]
            elif quota:
                next_at = hold_until = self.quota_resets_at(now)
            else:
                next_at = now + timedelta(seconds=self.delay(claim.attempts + 1, rng))
        merged = _merge(claim.recipients, changed)
        if any(s.status is RecipientStatus.PENDING for s in merged):
            status = Status.DEFERRED
        elif all(s.status is RecipientStatus.SENT for s in merged):
            status = Status.SENT
        elif any(s.status is RecipientStatus.SENT for s in merged):
            status = Status.PARTIAL
        else:
            status = Status.FAILED
        error = first_error
        if expired:
            error = self._expired(first_error)
        attempt = Attempt(
            at=now,
            account=claim.account,
            outcome=status,
            host=result.host,
            code=reply.code if reply else None,
            enhanced=reply.enhanced if reply else None,
            text=reply.text if reply else "",
            error=first_error,
            duration=result.duration,
            recipients=tuple(changed),
            worker=worker,
        )
        delivered_now = any(s.status is RecipientStatus.SENT for s in changed)
        return Decision(
            outcome=Outcome(
                id=claim.id,
                status=status,
                attempt=attempt,
                recipients=tuple(changed),
                next_attempt_at=next_at,
                error=error,
                sent_at=now if delivered_now else None,
            ),
            hold=AccountPause(claim.account, now, hold_until, error=first_error)
            if hold_until is not None
            else None,
        )

    def _delivered(
        self, claim: Claim, result: SendResult, now: datetime, worker: str | None
    ) -> Decision:
        # The common case, kept cheap: every pending recipient accepted.
        sent = RecipientStatus.SENT
        changed = tuple(RecipientState(a, sent, None, now) for a in claim.envelope.recipients)
        failed_before = any(s.status is RecipientStatus.FAILED for s in claim.recipients)
        status = Status.PARTIAL if failed_before else Status.SENT
        reply = result.reply
        attempt = Attempt(
            at=now,
            account=claim.account,
            outcome=status,
            host=result.host,
            code=reply.code if reply else None,
            enhanced=reply.enhanced if reply else None,
            text=reply.text if reply else "",
            duration=result.duration,
            worker=worker,
        )
        error = None
        if failed_before:
            error = next((s.error for s in claim.recipients if s.error is not None), None)
        return Decision(outcome=Outcome(claim.id, status, attempt, changed, None, error, now))

    def after_error(
        self,
        claim: Claim,
        error: MailplugError,
        *,
        now: datetime,
        duration: float = 0.0,
        fingerprint: str | None = None,
        worker: str | None = None,
        rng: random.Random | None = None,
    ) -> Decision:
        """Decide after an attempt that delivered nothing (the transport raised)."""
        if isinstance(error, RecipientsRefusedError) and error.results:
            # Every recipient was refused, each for its own reason: decide per recipient
            # (a full mailbox retries while an unknown user fails).
            result = SendResult(
                message_id=claim.message_id,
                recipients=list(error.results),
                host=error.host,
                reply=error.reply,
                duration=duration,
            )
            return self.after_result(claim, result, now=now, worker=worker, rng=rng)
        spec = error.spec
        info = ErrorInfo.from_error(error)
        reply = error.reply
        pending = [s for s in claim.recipients if s.status is RecipientStatus.PENDING]

        def attempt(
            outcome: Status, *, counted: bool = True, rcpts: tuple[RecipientState, ...] = ()
        ) -> Attempt:
            return Attempt(
                at=now,
                account=claim.account,
                outcome=outcome,
                host=error.host,
                code=reply.code if reply else None,
                enhanced=reply.enhanced if reply else None,
                text=reply.text if reply else "",
                error=info,
                duration=duration,
                counted=counted,
                recipients=rcpts,
                worker=worker,
            )

        if spec.pauses == "account":
            # Only a change of settings (or a person) fixes it: burn no retry.
            return Decision(
                outcome=Outcome(
                    id=claim.id,
                    status=Status.QUEUED,
                    attempt=attempt(Status.QUEUED, counted=False),
                    next_attempt_at=now,
                    error=info,
                ),
                pause=AccountPause(claim.account, now, None, fingerprint, info),
            )

        if spec.retry == "uncertain":
            retry = self.uncertain == "retry" and not self.expired(claim, now)
            next_at = (
                now + timedelta(seconds=self.delay(claim.attempts + 1, rng)) if retry else None
            )
            return Decision(
                outcome=Outcome(
                    id=claim.id,
                    status=Status.UNCERTAIN,
                    attempt=attempt(Status.UNCERTAIN),
                    next_attempt_at=next_at,
                    error=info,
                )
            )

        if spec.transient and not self.expired(claim, now):
            hold_until: datetime | None = None
            counted = True
            if spec.retry == "quota-reset":
                next_at = hold_until = self.quota_resets_at(now)
                counted = False
            else:
                next_at = now + timedelta(seconds=self.delay(claim.attempts + 1, rng))
                if spec.category is Category.CONNECTION:
                    hold_until = next_at
            rcpts = tuple(RecipientState(s.address, s.status, info, now) for s in pending)
            return Decision(
                outcome=Outcome(
                    id=claim.id,
                    status=Status.DEFERRED,
                    attempt=attempt(Status.DEFERRED, counted=counted, rcpts=rcpts),
                    recipients=rcpts,
                    next_attempt_at=next_at,
                    error=info,
                ),
                hold=AccountPause(claim.account, now, hold_until, error=info)
                if hold_until is not None
                else None,
            )

        # Permanent, or transient for too long: the pending recipients fail.
        final_error = info if not spec.transient else self._expired(info)
        rcpts = tuple(
            RecipientState(s.address, RecipientStatus.FAILED, final_error, now) for s in pending
        )
        merged = _merge(claim.recipients, list(rcpts))
        status = (
            Status.PARTIAL
            if any(s.status is RecipientStatus.SENT for s in merged)
            else Status.FAILED
        )
        return Decision(
            outcome=Outcome(
                id=claim.id,
                status=status,
                attempt=attempt(status, rcpts=rcpts),
                recipients=rcpts,
                next_attempt_at=None,
                error=final_error,
            )
        )

    def _expired(self, last: ErrorInfo | None) -> ErrorInfo:
        params: dict[str, Any] = {"days": _days(self.max_age)}
        if last is not None:
            params["last_error"] = last.key
        return ErrorInfo(
            key=OUTBOX_EXPIRED.key,
            code=last.code if last else None,
            enhanced=last.enhanced if last else None,
            text=last.text if last else "",
            host=last.host if last else None,
            recipient=last.recipient if last else None,
            params=params,
        )


def _days(seconds: float) -> int | float:
    days = seconds / 86400.0
    return int(days) if days == int(days) else round(days, 2)


def _merge(
    current: tuple[RecipientState, ...], changed: list[RecipientState]
) -> list[RecipientState]:
    by_address = {s.address.lower(): s for s in changed}
    return [by_address.get(s.address.lower(), s) for s in current]


@dataclass(slots=True)
class Decision:
    """What to store (:attr:`outcome`) and whether to pause or hold the account."""

    outcome: Outcome
    pause: AccountPause | None = None
    hold: AccountPause | None = None


def fingerprint(account: Account | None) -> str:
    """A short digest of the account's settings; a different one unpauses the account.

    The outbox file is owner-only like the accounts file, so a digest of the
    settings (which may hold the password) adds no exposure.
    """
    if account is None:
        return "-"
    data = account.model_dump(mode="python")
    blob = json.dumps(data, sort_keys=True, default=_secret_value).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:24]


def _secret_value(value: Any) -> str:
    getter = getattr(value, "get_secret_value", None)
    return str(getter()) if callable(getter) else str(value)
