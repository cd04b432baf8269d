"""Batches as pages: what the agency's business systems (or the CLI's ``render --batch --submit``)
asked for in one request, and what became of each input — filed records, inputs refused with the
field named, faults — with a cancel for what still waits.  The same data as ``/api/v1/batches``."""

from __future__ import annotations

from flask import render_template, url_for
from werkzeug.wrappers import Response

from ...access.policy import Action, may, require
from ...jobs import batches
from ..auth import source_ip
from ..context import catalog, components
from . import bp, signed_in

# Who sees the agency's batches (their records are the agency's), and who may cancel one.
# Entries listed on a batch's page beyond those refused or failed: a long batch's done entries
# are counted, and the first of them linked.
DONE_SHOWN = 200
STATE_NAMES = {"queued": "等待中", "running": "製作中", "done": "已歸檔", "refused": "輸入有誤", "failed": "失敗",
               "cancelled": "已取消", "cancelling": "取消中", "finished": "已完成"}


@bp.get("/batches")
def batches_page() -> str:
    actor = signed_in()
    return render_template("batches.html", found=catalog().recent_batches(agency=actor.scope),
                           state_of=batches.state_of, state_names=STATE_NAMES)


@bp.get("/batches/<batch_id>")
def batch_page(batch_id: str) -> str:
    actor = signed_in()
    found = batches.progress(catalog(), batch_id, agency=actor.scope)  # NotFound outside the agency
    problems = [e for e in found.entries if e.state in ("refused", "failed")]
    done = [e for e in found.entries if e.state == "done"]
    return render_template("batch.html", found=found, problems=problems, done=done[:DONE_SHOWN],
                           done_total=found.counts["done"], paused=found.paused(components().clock.now()),
                           may_cancel=may(actor, Action.FILE_FORMS) and found.batch.finished_at is None
                           and found.batch.cancelled_at is None, state_names=STATE_NAMES)


@bp.post("/batches/<batch_id>/cancel")
def cancel_batch_page(batch_id: str) -> Response:
    actor = signed_in()
    require(actor, Action.FILE_FORMS, "您的帳號無法取消批次；批次由可填送表單的承辦人或系統管理者取消")
    batches.cancel(catalog(), actor, batch_id, audit=catalog().audit, now=components().clock.now(),
                   source_ip=source_ip())
    return Response(status=303, headers={"Location": url_for("ui.batch_page", batch_id=batch_id)})
