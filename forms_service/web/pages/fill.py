"""Pages for agency staff: fill any of the six forms in the browser, check it, sign and archive it.

The page is made from the form's JSON Schema (``fields.py``) and posts back to the same address;
validation is the API's own (``Producer.validate``, the filing rule, the check against the
connection's 附件1), so a page can accept nothing the API would refuse.  Errors come back on the
same page, beside their fields and in a summary at the top (the GOV.UK error-summary pattern),
with everything typed kept.  「前往簽章」 checks it as ``POST /api/v1/forms/<id>/records`` would, keeps
it as a draft and answers 303 to the signing page (``sign.py``), where its first signer signs it.

A new form starts from the agency's profile (``forms/profile.py``: 機關全銜, 地址, 首長, contacts, the
usual unit and system), or at least with the filer's agency code; ``?from=<record_id>`` starts it
from an earlier record (the same form, or the next in the chain: a 附件1 → its 附件2 and 附件3), with
its values copied, the connection named and the 使用期限 moved on.  「儲存草稿」 keeps the values so far
on the server (``/drafts``, per agency, never archived, deleted once signed), without checking
them; a JSON file (the API's input, or a downloaded draft) can fill the page.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ... import json_input
from ...access import Actor
from ...connections.timeline import STATE_NAMES, connections, today_in_taipei
from ...errors import InputError, NotFound
from ...forms import FormSpec, all_forms, get_form
from ...forms.annex1_application import FULL_APPLICATION_FIELDS
from ...forms.connection import value_at
from ...forms.entries_csv import COLUMNS, Imported, read_entries
from ...forms.profile import prefill
from ...produce.producer import page_count
from ..auth import reader_of
from ..context import catalog, components
from ..preview import render_page
from . import bp, signed_in
from .fields import Group, page_parts, parse

APPLICATIONS = ("annex1-interface", "annex1-copy")
# Fields the next form of the chain names differently: (form, its field) → the 附件1's field path.
RENAMED = {("annex2-agreement", "party"): "applicant", ("annex2-agreement", "system_name"): "host.system_name",
           ("annex3-requirements", "system_name"): "host.system_name",
           ("annex5-query-log", "system_name"): "host.system_name",
           ("purge-record", "system_name"): "host.system_name",
           ("purge-record", "terminated_on"): "termination.effective_on",
           ("incident-report", "system_name"): "host.system_name",
           ("security-test", "system_name"): "host.system_name"}


@dataclass
class FormPage:
    """What the fill page shows: the form, the values so far, how many blank rows to offer."""

    spec: FormSpec
    values: dict[str, Any]
    extra_rows: int = 1
    checked: bool = False
    draft_id: str = ""
    saved: bool = False
    preview: list[str] | None = None  # data: URLs of the unsigned pages (「預覽」)
    preview_pages: int = 0
    imported: Imported | None = None  # the last CSV import of 附件5 entries
    import_columns: tuple[str, ...] = tuple(COLUMNS.values())

    def parts(self, problems: list[dict[str, str]] | None = None) -> tuple[Group, list[tuple[str, str, str]]]:
        root, summary = page_parts(self.spec.json_schema(), self.values, problems, extra_rows=self.extra_rows,
                                   references=connection_choices(signed_in(), self.spec.form_id))
        if self.spec.form_id in APPLICATIONS:
            by_type(root, str(self.values.get("application_type") or "new"))
        return root, summary


def by_type(root: Group, kind: str) -> None:
    """A 附件1 as its 申請類別 asks: what a 新申請, 變更 or 續用 must carry is required (and hidden for a
    終止), the 終止 part shown only for a 終止; 資料交換方式 — which decides what else is required —
    right after the type.  ``fill.js`` shows and hides the same parts as the type is changed."""
    terminating = kind == "termination"
    for part in root.children:
        key = part.name
        if key in (*FULL_APPLICATION_FIELDS, "copy"):
            part.required, part.show_when, part.hidden = not terminating, "not-termination", terminating
        elif key == "termination":
            part.required, part.show_when, part.hidden = terminating, "termination", not terminating
    methods = [p for p in root.children if p.name == "exchange_methods"]
    if methods:
        rest = [p for p in root.children if p.name != "exchange_methods"]
        at = next((i + 1 for i, p in enumerate(rest) if p.name == "application_type"), 0)
        root.children = [*rest[:at], *methods, *rest[at:]]
    for part in root.children:
        if part.hidden and part.error:
            part.hidden = False  # a problem is never hidden from the person who must fix it


def connection_choices(actor: Actor, form_id: str) -> list[tuple[str, str]]:
    """The connections a form may belong to, as people know them: system, 資料使用單位, state —
    the newest first; a purge record's is the connection's 終止 application."""
    today = today_in_taipei(components().clock.now())
    choices = []
    for found in connections(catalog(), agency=actor.scope):
        target = found.termination if form_id == "purge-record" else found.id
        if not target or (form_id != "purge-record" and found.terminated_on is not None):
            continue
        unit = found.user_unit.get("name", "")
        choices.append((target, f"{found.system}（{unit}，{STATE_NAMES.get(found.state(today), '')}）"))
    return choices


@bp.get("/forms")
def forms() -> str:
    return render_template("forms.html", forms=all_forms())


@bp.get("/forms/<form_id>/new")
def new_form(form_id: str) -> str:
    actor = signed_in()
    spec = get_form(form_id)
    source = request.args.get("from", "").strip()
    draft_id = request.args.get("draft", "").strip()
    if draft_id:
        draft = catalog().draft(draft_id, agency=actor.scope)
        if draft is None or draft.form_id != spec.form_id:
            raise NotFound(f"no draft {draft_id} of {spec.form_id} for your agency")
        values = draft.data
    else:
        values = _from_record(actor, spec, source) if source else _blank(actor, spec)
    g.form_page = FormPage(spec, values, draft_id=draft_id, saved=bool(request.args.get("saved")))
    return render_template("fill.html", page=g.form_page)


@bp.post("/forms/<form_id>/new")
def post_form(form_id: str) -> Response | str:
    actor = signed_in()
    spec = get_form(form_id)
    values = parse(spec.json_schema(), request.form)
    extra = min(max(_int(request.form.get("extra_rows"), 1), 1), 20)
    action = request.form.get("action", "check")
    draft_id = request.form.get("draft_id", "").strip()
    g.form_page = FormPage(spec, values, extra, draft_id=draft_id)
    g.error_page = "fill.html"  # errors are shown on the form itself, with what was typed (web/errors.py)
    if draft_id and catalog().draft(draft_id, agency=actor.scope) is None:
        raise NotFound(f"no draft {draft_id} for your agency")
    imported = None
    if action == "load-json":
        values = _uploaded_json()
    if action == "load-entries":
        imported = read_entries(_uploaded_text("entries_csv") or request.form.get("entries_paste", ""))
        values["entries"] = list(values.get("entries") or []) + imported.entries
    if action == "all-conform":  # 附件4: every unanswered item conforms; the rest are changed one by one
        values["items"] = [{**item, "result": item.get("result") or "conform"} if isinstance(item, dict) else item
                           for item in values.get("items") or []]
    if action in ("add-row", "load-json", "load-entries", "all-conform"):
        g.form_page = FormPage(spec, values, extra + (action == "add-row"), draft_id=draft_id, imported=imported)
        return render_template("fill.html", page=g.form_page)
    if action == "save-draft":
        draft_id = _save_draft(actor, spec, values, draft_id)
        return redirect(url_for("ui.new_form", form_id=spec.form_id, draft=draft_id, saved=1), code=303)
    service = components()
    filing = service.filing
    spec, form = filing.check(actor, spec.form_id, values)
    if action == "preview":
        pdf = filing.preview(actor, spec, form)
        g.form_page.preview_pages = page_count(pdf)
        g.form_page.preview = _page_images(pdf, g.form_page.preview_pages)
    if action != "sign":
        g.form_page.checked = True
        return render_template("fill.html", page=g.form_page)
    # Signing is its own step: the document checked once more with its real preview, then signed
    # in its first block by its signer (pages/sign.py).  The form waits there as a draft.
    draft_id = _save_draft(actor, spec, form.model_dump(mode="json", by_alias=True), draft_id)
    return redirect(url_for("ui.sign_draft", draft_id=draft_id), code=303)


@bp.get("/drafts")
def drafts() -> str:
    actor = signed_in()
    return render_template("drafts.html", drafts=catalog().drafts(agency=actor.scope))


@bp.get("/drafts/<draft_id>.json")
def draft_json(draft_id: str) -> Response:
    actor = signed_in()
    draft = catalog().draft(draft_id, agency=actor.scope)
    if draft is None:
        raise NotFound(f"no draft {draft_id} for your agency")
    body = json.dumps(draft.data, ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="{draft.form_id}-{draft.id}.json"'})


@bp.post("/drafts/<draft_id>/delete")
def delete_draft(draft_id: str) -> Response:
    actor = signed_in()
    if catalog().draft(draft_id, agency=actor.scope) is None:
        raise NotFound(f"no draft {draft_id} for your agency")
    catalog().delete_draft(draft_id)
    return redirect(url_for("ui.drafts"), code=303)


MAX_UPLOAD = 2 * 1024 * 1024
PREVIEW_PAGES = 6  # pages shown inline; the signed record shows them all


def _page_images(pdf: bytes, pages: int) -> list[str]:
    """The first pages as inline PNGs: the preview is never stored, so any web worker can show it."""
    digest = hashlib.sha256(pdf).hexdigest()
    return ["data:image/png;base64," + base64.b64encode(render_page(digest, n, lambda: pdf)).decode()
            for n in range(1, min(pages, PREVIEW_PAGES) + 1)]


def _uploaded_text(name: str) -> str:
    """The text of an uploaded file ('' when none was chosen)."""
    upload = request.files.get(name)
    if upload is None or not upload.filename:
        return ""
    data = upload.read(MAX_UPLOAD * 4 + 1)
    if len(data) > MAX_UPLOAD * 4:
        raise InputError("檔案過大 (at most 8 MiB)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp950")  # Excel on Traditional-Chinese Windows saves CSV in Big5
        except UnicodeDecodeError:
            raise InputError("檔案編碼無法辨識，請存為 UTF-8 (not UTF-8 or Big5)") from None


def _uploaded_json() -> dict[str, Any]:
    """The JSON object of the uploaded file (the API's input for this form)."""
    upload = request.files.get("json_file")
    if upload is None or not upload.filename:
        raise InputError("請選擇要載入的 JSON 檔案 (choose a JSON file)")
    data = upload.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise InputError("JSON 檔案過大 (at most 2 MiB)")
    try:
        value = json_input.loads(data.decode("utf-8-sig"), what="檔案", field="json_file")
    except UnicodeDecodeError:
        raise InputError("檔案不是 UTF-8 文字：請以 UTF-8 儲存後再載入", details={"field": "json_file"}) from None
    if not isinstance(value, dict):
        raise InputError("JSON 檔案須為一個物件 (the file must hold one JSON object)")
    return value


def _save_draft(actor: Actor, spec: FormSpec, values: dict[str, Any], draft_id: str) -> str:
    owner = values.get(spec.owner_field) or {}
    agency = actor.agency or str(owner.get("code", "")) or "-"
    title = f"{spec.annex} {spec.title}" + (f"（{owner['name']}）" if owner.get("name") else "")
    draft_id = draft_id or "drf_" + uuid.uuid4().hex
    catalog().save_draft(draft_id=draft_id, agency=agency, form_id=spec.form_id, title=title[:500], data=values,
                         by=actor.id, now=components().clock.now())
    return draft_id


def _int(text: str | None, default: int) -> int:
    return int(text) if text and text.isdigit() else default


def _blank(actor: Actor, spec: FormSpec) -> dict[str, Any]:
    """A new form: from the agency's profile (or with the filer's agency code); 附件4 lists its
    standard items."""
    values: dict[str, Any] = {}
    if actor.agency:
        profile = catalog().agency_profile(actor.agency)
        values = prefill(spec.form_id, spec.owner_field, actor.agency, profile.data) if profile else {
            spec.owner_field: {"code": actor.agency}}
    if spec.form_id == "annex4-audit-checklist":
        from ...forms.annex4_audit_checklist import STANDARD_ITEMS

        values["items"] = [{"id": number} for number in STANDARD_ITEMS]
    return values


def _from_record(actor: Actor, spec: FormSpec, record_id: str) -> dict[str, Any]:
    """The values of an earlier record for a new form of ``spec``: what the target form has, the
    connection named when the source is its 附件1, the 使用期限 moved on."""
    record = components().reading.record(reader_of(actor, {"via": "web", "purpose": "以此為範本"}), record_id)
    source = dict(record.input or {})
    properties = spec.json_schema().get("properties", {})
    values = {key: value for key, value in source.items() if key in properties and key != "related_record"}
    if record.form_id in APPLICATIONS:
        for (target, key), source_path in RENAMED.items():
            found = value_at(source, source_path)
            if spec.form_id == target and found is not None:
                values[key] = found
    following = request.args.get("type", "renewal")  # a 附件1 after a 附件1: 續用, 變更 or 終止
    both_applications = {record.form_id, spec.form_id} <= set(APPLICATIONS)
    moves_on = record.form_id == spec.form_id and not both_applications or both_applications and following == "renewal"
    if moves_on and isinstance(values.get("period"), dict):  # a renewal, next year's self-audit, …
        values["period"] = _moved_on(values["period"])
    if record.form_id in APPLICATIONS and "related_record" in properties:
        values["related_record"] = record.id
    if both_applications:
        values["application_type"] = following if following in ("change", "renewal", "termination") else "renewal"
        values.pop("request_letter", None)
        if following == "termination":  # a 終止 names the connection and why it ends, nothing more
            values = {k: v for k, v in values.items()
                      if k in ("application_type", "applicant", "host", "user_unit", "related_record")}
    return values


def _moved_on(period: dict[str, Any]) -> dict[str, Any]:
    """The next 使用期限: from the day after the old one ends, as long as it was."""
    try:
        start, end = date.fromisoformat(period["start"]), date.fromisoformat(period["end"])
    except (KeyError, TypeError, ValueError):
        return period
    new_start = end + timedelta(days=1)
    return {"start": new_start.isoformat(), "end": (new_start + (end - start)).isoformat()}
