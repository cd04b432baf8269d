"""A form's page, made from the form's JSON Schema: one source, so a field added to a model appears
on the page without page code.

``build`` turns the schema and the values so far into a tree of page parts — ``Input`` (one
control), ``Group`` (a fieldset for an object) and ``Rows`` (a repeatable list of objects) — each
named by its JSON path (``applicant.name``, ``users.0.account``) and carrying the error found
there.  ``parse`` turns a posted page back into the JSON the API takes: empty inputs are left out
(so defaults and "required" work as in the API), empty rows are dropped, numbers and yes/no
answers get their JSON types.  Labels are the fields' (Chinese) descriptions; choices are named by
the schema's ``x-choices``; dates are marked ``x-input: roc-date``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from werkzeug.datastructures import MultiDict

from ...errors import FieldProblem
from ...messages import sentence
from ...taiwan import format_roc_short

LONG_TEXT = 300  # longer strings get a text area


@dataclass
class Input:
    name: str
    label: str
    widget: str  # text | textarea | date | number | select | radios | yesno | checkboxes | lines
    required: bool
    value: Any = ""
    hint: str = ""
    choices: list[tuple[str, str]] = field(default_factory=list)
    error: str = ""
    show_when: str = ""  # shown only for this choice of the form's type ("termination", "not-termination")
    hidden: bool = False

    @property
    def id(self) -> str:
        return "f-" + self.name.replace(".", "-")


@dataclass
class Group:
    name: str
    label: str
    required: bool
    children: list[Input | Group | Rows]
    hint: str = ""
    error: str = ""
    show_when: str = ""
    hidden: bool = False

    @property
    def id(self) -> str:
        return "f-" + (self.name.replace(".", "-") or "form")


@dataclass
class Rows:
    name: str
    label: str
    required: bool
    rows: list[Group]
    hint: str = ""
    error: str = ""
    keyed: bool = False  # one row per choice of its ``id`` (附件4's items): no rows added or left out
    show_when: str = ""
    hidden: bool = False

    @property
    def id(self) -> str:
        return "f-" + self.name.replace(".", "-")


Part = Input | Group | Rows


class _Schema:
    """A JSON Schema with its ``$defs``: resolves references and optional (``anyOf`` null) fields."""

    def __init__(self, schema: dict[str, Any], references: list[tuple[str, str]] | None = None):
        self.defs = schema.get("$defs", {})
        # What a record reference may name, as (id, what people read): the agency's connections.
        self.references = references

    def resolve(self, node: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """(the node with references followed, whether ``null`` is allowed)."""
        nullable = False
        if "anyOf" in node:
            branches = [b for b in node["anyOf"] if b.get("type") != "null"]
            nullable = len(branches) < len(node["anyOf"])
            outer = {k: v for k, v in node.items() if k != "anyOf"}
            node = {**branches[0], **outer} if branches else outer
        if "$ref" in node:
            target = self.defs[node["$ref"].rsplit("/", 1)[-1]]
            outer = {k: v for k, v in node.items() if k != "$ref"}
            node = {**target, **outer, "description": outer.get("description", "")}
        return node, nullable


def _label(name: str, node: dict[str, Any]) -> tuple[str, str]:
    """(label, hint): the description up to its first （, and what is inside it as the hint."""
    description = node.get("description") or name
    if "（" in description and description.endswith("）"):
        head, _, rest = description.partition("（")
        return head, rest[:-1]
    return description, ""


def path_label(schema: dict[str, Any], path: str) -> str:
    """The labels people see for a problem's field path: ``entries[3].user`` → 「查詢紀錄／第 4 列／查詢人員」."""
    resolver, node, labels = _Schema(schema), schema, []
    for part in re.findall(r"[^.\[\]]+", path):
        node, _ = resolver.resolve(node)
        if part.isdigit():
            labels.append(f"第 {int(part) + 1} 列")
            node = node.get("items") or {}
        else:
            node = (node.get("properties") or {}).get(part) or {}
            labels.append(_label(part, resolver.resolve(node)[0] if node else {"description": "此欄"})[0])
    return "／".join(labels) or "表單"


def _keyed_rows(resolver: _Schema, items: dict[str, Any], name: str, label: str, required: bool,
                present: list[Any], hint: str, extra_rows: int) -> Rows | None:
    """Rows each of which answers one choice of its ``id`` (附件4's standard items): each row titled
    with its choice's text (「3. 帳號閒置 90 日即停用」), the id kept hidden — a question per row, not a
    「第 N 列」 with a drop-down.  None unless every row present has an id among the choices."""
    key, _ = resolver.resolve((items.get("properties") or {}).get("id") or {})
    titles = dict(_choices(key))
    if not titles or not present or not all(isinstance(r, dict) and str(r.get("id")) in titles for r in present):
        return None
    rows = []
    for i, row in enumerate(present):
        group = _group(resolver, items, f"{name}.{i}", titles[str(row["id"])], True, row, extra_rows)
        group.children = [Input(c.name, c.label, "hidden", True, c.value) if isinstance(c, Input) and
                          c.name.endswith(".id") else c for c in group.children]
        rows.append(group)
    return Rows(name, label, required, rows, hint, keyed=True)


def _choices(node: dict[str, Any]) -> list[tuple[str, str]]:
    if "x-choices" in node:
        return [(str(c["const"]), c["title"]) for c in node["x-choices"]]
    return [(str(v), str(v)) for v in node.get("enum", [])]


def build(schema: dict[str, Any], values: dict[str, Any], *, extra_rows: int = 1,
          references: list[tuple[str, str]] | None = None) -> Group:
    """The page parts of ``schema`` filled with ``values`` (the input so far, as JSON); a record
    reference is a choice among ``references`` when they are given (nobody types a 紀錄編號)."""
    resolver = _Schema(schema, references)
    return _group(resolver, schema, "", "", True, values or {}, extra_rows)


def _group(resolver: _Schema, node: dict[str, Any], name: str, label: str, required: bool, values: Any,
           extra_rows: int) -> Group:
    values = values if isinstance(values, dict) else {}
    needed = set(node.get("required", ()))
    children: list[Part] = []
    for key, child in node.get("properties", {}).items():
        children.append(_part(resolver, child, f"{name}.{key}" if name else key, key, key in needed,
                              values.get(key), extra_rows))
    return Group(name, label, required, children)


def _part(resolver: _Schema, raw: dict[str, Any], name: str, key: str, required: bool, value: Any,
          extra_rows: int) -> Part:
    node, nullable = resolver.resolve(raw)
    required = required and not nullable
    label, hint = _label(key, node)
    kind = node.get("type")
    if kind == "object" or "properties" in node:
        group = _group(resolver, node, name, label, required, value, extra_rows)
        group.hint = hint
        return group
    if kind == "array":
        items, _ = resolver.resolve(node.get("items", {}))
        if items.get("type") == "object" or "properties" in items:
            present = value if isinstance(value, list) else []
            keyed = _keyed_rows(resolver, items, name, label, required, present, hint, extra_rows)
            if keyed is not None:
                return keyed
            rows = [_group(resolver, items, f"{name}.{i}", f"第 {i + 1} 列", False, row, extra_rows)
                    for i, row in enumerate(present + [{}] * extra_rows)]
            return Rows(name, label, required, rows, hint)
        choices = _choices({**items, **{k: v for k, v in node.items() if k == "x-choices"}})
        listed = [str(v) for v in value] if isinstance(value, list) else []
        if choices:
            return Input(name, label, "checkboxes", required, listed, hint, choices)
        hint = (hint + "；" if hint else "") + "每行一項"
        return Input(name, label, "lines", required, "\n".join(listed), hint, [])
    text = "" if value is None else ("true" if value is True else "false" if value is False else str(value))
    choices = _choices(node)
    if kind == "boolean":
        return Input(name, label, "yesno", required, text, hint, [("true", "是"), ("false", "否")])
    if choices:
        widget = "radios" if len(choices) <= 4 else "select"
        return Input(name, label, widget, required, text, hint, choices)
    if kind == "integer":
        return Input(name, label, "number", required, text, hint, [])
    if node.get("x-input") == "record-ref" and resolver.references is not None:
        choices = list(resolver.references)
        if text and text not in {value for value, _ in choices}:
            choices.append((text, f"紀錄編號 {text}"))  # one chosen before, outside the list
        return Input(name, "介接案", "select", required, text, "選擇此表單所屬的介接案（其附件1）", choices)
    if node.get("x-input") == "roc-date":
        hint = (hint + "；" if hint else "") + "例：115/11/27、民國115年11月27日或 2026-11-27"
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):  # a stored date, shown as people write it
            text = format_roc_short(date.fromisoformat(text))
        return Input(name, label, "date", required, text, hint, [])
    widget = "textarea" if node.get("maxLength", 0) > LONG_TEXT else "text"
    return Input(name, label, widget, required, text, hint, [])


# --- a posted page back to JSON -----------------------------------------------------------------

def parse(schema: dict[str, Any], form: MultiDict[str, str]) -> dict[str, Any]:
    """The JSON input a posted page describes (empty inputs and rows left out)."""
    resolver = _Schema(schema)
    value = _parse_object(resolver, schema, "", form)
    return value or {}


def _parse_object(resolver: _Schema, node: dict[str, Any], name: str, form: MultiDict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, child in node.get("properties", {}).items():
        value = _parse(resolver, child, f"{name}.{key}" if name else key, form)
        if value is not None:
            out[key] = value
    return out


def _parse(resolver: _Schema, raw: dict[str, Any], name: str, form: MultiDict[str, str]) -> Any:
    node, _ = resolver.resolve(raw)
    kind = node.get("type")
    if kind == "object" or "properties" in node:
        return _parse_object(resolver, node, name, form) or None
    if kind == "array":
        items, _ = resolver.resolve(node.get("items", {}))
        if items.get("type") == "object" or "properties" in items:
            indices = sorted({int(m[1]) for key in form
                              if (m := re.match(re.escape(name) + r"\.(\d+)\.", key))})
            rows = [row for i in indices if (row := _parse_object(resolver, items, f"{name}.{i}", form))]
            return rows or None
        if _choices({**items, **{k: v for k, v in node.items() if k == "x-choices"}}):
            picked = [v for v in form.getlist(name) if v]
            return [_typed(items, v) for v in picked] or None
        lines = [line.strip() for line in form.get(name, "").splitlines() if line.strip()]
        return lines or None
    text = form.get(name, "").strip()
    if not text:
        return None
    if kind == "boolean":
        return {"true": True, "false": False}.get(text, text)
    return _typed(node, text)


def _typed(node: dict[str, Any], text: str) -> Any:
    if node.get("type") == "integer":
        number = unicodedata.normalize("NFKC", text).strip()  # ９０ as typed on a Chinese keyboard is 90
        if re.fullmatch(r"-?[0-9]+", number):
            return int(number)
    return text


# --- errors beside their fields -----------------------------------------------------------------

def page_path(path: str) -> str:
    """``users[0].account`` (the API's path) → ``users.0.account`` (the page's input name)."""
    return re.sub(r"\[(\d+)\]", r".\1", path)


def message(problem: FieldProblem) -> str:
    """The problem's sentence: the rules word it (``messages``), the page shows it as it is."""
    return problem.message or sentence(problem.code or "invalid")


def page_parts(schema: dict[str, Any], values: dict[str, Any], problems: list[dict[str, str]] | None = None, *,
               extra_rows: int = 1, references: list[tuple[str, str]] | None = None
               ) -> tuple[Group, list[tuple[str, str, str]]]:
    """The page's parts with the problems of a refused post (as the error handler passes them)
    beside their fields, and the summary's rows."""
    root = build(schema, values, extra_rows=extra_rows, references=references)
    found = [FieldProblem(p.get("path", ""), p.get("message", ""), p.get("code", "invalid")) for p in problems or []]
    return root, place_errors(root, found)


def place_errors(root: Group, problems: list[FieldProblem]) -> list[tuple[str, str, str]]:
    """Attach each problem to the part it names (or its nearest shown ancestor); the summary's
    (anchor id, label, message) in page order."""
    parts: dict[str, Part] = {}
    labels: dict[str, str] = {}

    def walk(part: Part, trail: str) -> None:
        parts[part.name] = part
        labels[part.name] = f"{trail}／{part.label}" if trail and part.label else (part.label or trail)
        children = part.children if isinstance(part, Group) else part.rows if isinstance(part, Rows) else []
        for child in children:
            walk(child, labels[part.name])

    walk(root, "")
    summary = []
    for problem in problems:
        name = page_path(problem.path)
        while name and name not in parts:
            name = name.rsplit(".", 1)[0] if "." in name else ""
        part = parts.get(name, root)
        text = message(problem)
        part.error = f"{part.error}；{text}" if part.error else text
        summary.append((part.id, labels.get(part.name) or "表單", text))
    return summary
