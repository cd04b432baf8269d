"""Outbound calls reach only the outside: a URL given to the service (a batch's completion call) is
refused when any address its host resolves to is loopback, link-local, private, multicast or this
machine's own, unless FORMS_OUTBOUND_ALLOW names it; http only to what is allowed; a redirect is the
receiver's answer and never followed."""

from __future__ import annotations

import ipaddress
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from forms_service.access import outbound
from forms_service.access.outbound import OutboundAllow, OutboundRefused
from forms_service.errors import ConfigError
from forms_service.jobs import webhooks
from forms_service.settings import Settings

NONE = OutboundAllow()


@pytest.mark.parametrize("url", [
    "https://169.254.169.254/latest/meta-data/iam",  # link-local: cloud metadata
    "https://[fe80::1]/x",
    "https://10.0.0.5/hook", "https://192.168.1.1/hook", "https://172.16.0.1/hook",  # private
    "https://100.64.0.1/hook",  # shared address space
    "https://127.0.0.1/hook", "https://localhost/hook", "https://[::1]/hook",  # loopback, by address or by name
    "https://[::ffff:127.0.0.1]/hook",  # loopback written as IPv6
    "https://224.0.0.1/hook", "https://0.0.0.0/hook",  # multicast, unspecified
    "http://127.0.0.1:8080/hook",  # http to this machine is no longer allowed by itself
    "ftp://example.org/x", "https:///nohost", "https://user:pw@8.8.8.8/x",
])
def test_urls_that_do_not_leave_for_the_outside_are_refused(url):
    with pytest.raises(OutboundRefused) as refused:
        outbound.check(url, NONE)
    assert refused.value.details["field"] == "webhook"


def test_this_machines_own_addresses_are_no_outside():
    own = socket.gethostbyname(socket.gethostname())
    assert outbound._is_own(ipaddress.ip_address(own))
    assert not outbound._public(ipaddress.ip_address("127.0.0.1"))
    assert outbound._public(ipaddress.ip_address("8.8.8.8"))


def test_an_allowed_address_and_port_may_be_called_over_http_and_nothing_beside_it():
    allow = OutboundAllow.parse("127.0.0.1:8443, 10.1.0.0/16, [::1]:9000")
    assert outbound.check("http://127.0.0.1:8443/hook", allow).address == ipaddress.ip_address("127.0.0.1")
    assert outbound.check("https://10.1.2.3/hook", allow).port == 443
    assert outbound.check("http://[::1]:9000/x?y=1", allow).path == "/x?y=1"
    for other in ("http://127.0.0.1:8444/hook", "https://10.2.0.1/hook", "http://[::1]:9001/"):
        with pytest.raises(OutboundRefused):
            outbound.check(other, allow)


def test_a_bad_allowlist_stops_start_up_naming_the_setting():
    with pytest.raises(ConfigError, match="FORMS_OUTBOUND_ALLOW"):
        Settings.load(environ={"FORMS_OUTBOUND_ALLOW": "not-a-network"})


def test_a_webhook_that_redirects_to_a_second_local_port_never_reaches_it():
    """GIVEN a receiver that answers 302 to a second local listener, both allowed
    WHEN the completion call is made THEN the 302 is its answer and the second listener is never called."""
    calls: dict[str, int] = {"first": 0, "second": 0}

    def handler(name: str, answer: int, location: str = ""):
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                calls[name] += 1
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.send_response(answer)
                if location:
                    self.send_header("Location", location)
                self.end_headers()

            do_GET = do_POST

            def log_message(self, *args):
                """Quiet: the test counts the calls."""

        return Handler

    second = ThreadingHTTPServer(("127.0.0.1", 0), handler("second", 200))
    first = ThreadingHTTPServer(("127.0.0.1", 0), handler(
        "first", 302, f"http://127.0.0.1:{second.server_address[1]}/latest/meta-data/"))
    for server in (first, second):
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    allow = OutboundAllow.parse(f"127.0.0.1:{first.server_address[1]}, 127.0.0.1:{second.server_address[1]}")
    try:
        delivery = webhooks.deliver(f"http://127.0.0.1:{first.server_address[1]}/hook", "secret", {"x": 1},
                                    attempt=1, allow=allow)
    finally:
        first.shutdown()
        second.shutdown()
    assert (delivery.status, delivery.ok) == (302, False) and "not followed" in delivery.error
    assert calls == {"first": 1, "second": 0}


def test_a_url_that_is_no_longer_allowed_at_call_time_is_not_called():
    delivery = webhooks.deliver("https://127.0.0.1:9/hook", "secret", {}, attempt=1, allow=NONE)
    assert delivery.status == 0 and "not called" in delivery.error


def test_batches_refuse_private_and_link_local_webhooks_at_submission(client, staff_token, example):
    for url in ("https://169.254.169.254/latest/meta-data/", "https://10.0.0.8/hook", "https://localhost:8443/h"):
        answer = client.post("/api/v1/batches", headers={"Authorization": f"Bearer {staff_token}"},
                             json={"form": "annex2-agreement", "inputs": [example("annex2-agreement")],
                                   "webhook": url})
        assert answer.status_code == 400 and answer.json["error"]["field"] == "webhook", answer.json
