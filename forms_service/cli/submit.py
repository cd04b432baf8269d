"""``render --batch SOURCE --submit URL``: the items filed as records by a running service's
background workers (``POST /api/v1/batches``, one batch per form), followed with a progress bar,
each record's PDF downloaded as it is done."""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import click

from ..errors import InputError, ServiceUnavailable
from ..produce.batch import BatchItem, Outcome, in_item_order

TOKEN_ENV = "FORMS_API_TOKEN"
POLL_SECONDS = 0.5
# Entries asked for at each look, from the first not ended yet: workers take entries in order, so
# the ones that end lie there; a 10,000-entry batch is not read whole twice a second.
WINDOW = 500


def submit_batch(form_id: str | None, source: Path, out_dir: Path, service_url: str) -> None:
    from .produce import batch_items, report_outcomes

    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise InputError(f"--submit needs the service's API token in {TOKEN_ENV}", details={"field": TOKEN_ENV})
    items = batch_items(source, form_id, out_dir)
    api = _Api(service_url.rstrip("/"), token)
    outcomes = [Outcome(item.name, "refused", item.problem) for item in items if item.problem]
    by_form: dict[str, list[BatchItem]] = {}
    for item in items:
        if not item.problem:
            by_form.setdefault(item.form_id, []).append(item)
    out_dir.mkdir(parents=True, exist_ok=True)
    with click.progressbar(length=sum(len(group) for group in by_form.values()), label="filing", file=sys.stderr,
                           show_pos=True, show_eta=True) as bar:
        for form, group in by_form.items():
            outcomes += _one_batch(api, form, group, out_dir, on_ended=lambda: bar.update(1))
    report_outcomes(in_item_order(items, outcomes), out_dir)


def _one_batch(api: _Api, form: str, items: list[BatchItem], out_dir: Path, *, on_ended: Any) -> list[Outcome]:
    created = api.call("POST", "/api/v1/batches", {"form": form, "inputs": [item.data for item in items]})
    href = created["links"]["self"]
    outcomes: dict[int, Outcome] = {}
    found, first_open = created, 1
    while True:
        for entry in found["entries"]:
            number = entry["number"]
            waiting = entry["state"] in ("queued", "running") and not found["finished_at"]
            if number in outcomes or waiting:
                continue
            item = items[number - 1]
            outcomes[number] = _outcome(api, item, entry, out_dir)
            on_ended()
        while first_open in outcomes:
            first_open += 1
        if first_open > len(items):
            return list(outcomes.values())
        if found["finished_at"] and not found["entries"]:  # the service lists fewer entries than were sent
            raise ServiceUnavailable(f"{href}: the finished batch lists no entry from {first_open} on")
        if not found["finished_at"]:  # once finished, every entry has ended: the windows follow at once
            time.sleep(POLL_SECONDS)
        found = api.call("GET", f"{href}?from={first_open}&limit={WINDOW}")


def _outcome(api: _Api, item: BatchItem, entry: dict[str, Any], out_dir: Path) -> Outcome:
    if entry["state"] == "done":
        path = out_dir / f"{item.name}.pdf"
        part = path.with_name(path.name + ".part")
        part.write_bytes(api.download(entry["links"]["pdf"]))
        part.replace(path)  # never a half-written PDF under its name
        return Outcome(item.name, "ok", f"{path} (record {entry['record_id']})")
    problem = entry.get("problem") or {}
    where = f"{problem['field']}: " if problem.get("field") else ""
    status = "refused" if entry["state"] == "refused" else "failed"
    return Outcome(item.name, status, f"{where}{problem.get('message') or entry['state']}")


class _Api:
    def __init__(self, base: str, token: str):
        self.base = base
        self.token = token

    def _open(self, method: str, path: str, body: bytes | None = None) -> bytes:
        request = urllib.request.Request(self.base + path, data=body, method=method, headers={
            "Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                return bytes(answer.read())
        except urllib.error.HTTPError as err:
            try:
                problem = json.loads(err.read()).get("error", {})
            except ValueError:
                problem = {}
            message = problem.get("message") or f"the service answered {err.code}"
            details = {k: v for k, v in problem.items() if k not in ("code", "message")}
            if err.code >= 500:
                raise ServiceUnavailable(f"{self.base}: {message}", details=details) from None
            raise InputError(message, details=details) from None
        except (urllib.error.URLError, OSError) as err:
            raise ServiceUnavailable(f"{self.base}: the service could not be reached "
                                     f"({getattr(err, 'reason', err)})") from None

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
        answer: dict[str, Any] = json.loads(self._open(method, path, data))
        return answer

    def download(self, path: str) -> bytes:
        return self._open("GET", path)
