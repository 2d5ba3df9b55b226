"""The ``mailplug_before_send`` hook: plugins add headers, rewrite or refuse before storing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.outbox_support import message

from mailplug import Mailer
from mailplug.errors import MailplugError
from mailplug.plugin import Outgoing, hookimpl


class Tenant:
    """Tags every message, and keeps mail to one domain from leaving."""

    @hookimpl
    def mailplug_before_send(self, outgoing: Outgoing) -> None:
        if any(r.endswith("@blocked.example") for r in outgoing.envelope.recipients):
            outgoing.refuse("blocked.example does not take our mail")
        outgoing.add_header("X-Tenant", f"firma-{outgoing.account.name}")


class Footer:
    """Runs after Tenant (registered first, called last): sees its header."""

    seen: list[str | None]

    def __init__(self) -> None:
        self.seen = []

    @hookimpl
    def mailplug_before_send(self, outgoing: Outgoing) -> None:
        self.seen.append(outgoing.header("X-Tenant"))
        outgoing.data = outgoing.data.rstrip(b"\r\n") + b"\r\n-- \r\nFirma sp. z o.o.\r\n"


class Broken:
    @hookimpl
    def mailplug_before_send(self, outgoing: Outgoing) -> None:
        raise ZeroDivisionError("oops")


def test_plugins_change_what_is_stored_and_sent(tmp_path: Path, smtp_server: Any) -> None:
    srv = smtp_server()
    footer = Footer()
    account = srv.account(name="biuro", email="biuro@firma.pl")
    with Mailer(
        [account], data_dir=tmp_path / "d", entry_points=False, plugins=[footer, Tenant()]
    ) as m:
        m.enqueue(message(1))
        m.enqueue_raw(
            b"From: biuro@firma.pl\nSubject: raw\n\nbody\n", recipients=["ola@example.com"]
        )
        m.send(message(3))  # sending now passes the same hook
        assert m.flush().sent == 2
    assert footer.seen == ["firma-biuro"] * 3
    assert len(srv.messages) == 3
    for received in srv.messages:
        assert received.message["X-Tenant"] == "firma-biuro"
        assert received.data.rstrip().endswith(b"Firma sp. z o.o.")


def test_a_refusal_stores_nothing_and_explains(tmp_path: Path) -> None:
    account = {"name": "biuro", "email": "biuro@firma.pl", "transport": "memory"}
    with Mailer([account], data_dir=tmp_path / "d", entry_points=False, plugins=[Tenant()]) as m:
        with pytest.raises(MailplugError) as caught:
            m.enqueue_many([message(1), message(2, to="jan@blocked.example")])
        assert caught.value.key == "message.refused"
        assert "blocked.example" in caught.value.message("pl")
        assert caught.value.message("pl") != caught.value.message("en")
        assert m.waiting() == 0  # all or none


def test_a_failing_plugin_stores_nothing(tmp_path: Path) -> None:
    account = {"name": "biuro", "email": "biuro@firma.pl", "transport": "memory"}
    with Mailer([account], data_dir=tmp_path / "d", entry_points=False, plugins=[Broken()]) as m:
        with pytest.raises(MailplugError) as caught:
            m.enqueue(message(1))
        assert caught.value.key == "plugin.before_send_failed"
        assert isinstance(caught.value.__cause__, ZeroDivisionError)
        assert "ZeroDivisionError" in caught.value.message("en")
        assert m.waiting() == 0


@pytest.mark.parametrize(
    ("name", "value", "key"),
    [
        ("X-Evil", "a\r\nBcc: x@example.com", "message.header_injection"),
        ("X Bad", "v", "message.invalid"),
        ("", "v", "message.invalid"),
    ],
)
def test_add_header_refuses_injection(tmp_path: Path, name: str, value: str, key: str) -> None:
    class Injector:
        @hookimpl
        def mailplug_before_send(self, outgoing: Outgoing) -> None:
            outgoing.add_header(name, value)

    account = {"name": "biuro", "email": "biuro@firma.pl", "transport": "memory"}
    with Mailer([account], data_dir=tmp_path / "d", entry_points=False, plugins=[Injector()]) as m:
        with pytest.raises(MailplugError) as caught:
            m.enqueue(message(1))
        assert caught.value.key == key
