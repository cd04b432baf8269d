"""Many documents in one run: the items of a directory or a JSON-lines file, each checked, then
produced on the warm converter pool, each written only when whole.

An item is ``{"form": FORM_ID, "input": {...}, "name": "optional output name"}``, or a plain form
input when a default form is given.  A directory holds one item per ``*.json`` file (named after
the file); a ``.jsonl`` file one per line (named after the line number unless it says).  Every
item ends as one ``Outcome``: ``ok`` (the PDF is written), ``refused`` (bad input, the field
named; nothing produced) or ``failed`` (a fault while producing; nothing written).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import json_input
from ..errors import FormsError, InputError, ValidationFailed
from ..forms import FormSpec
from ..forms.types import FormModel
from .producer import Produced, validate_input
from .templates import TemplateSource


@dataclass(frozen=True)
class BatchItem:
    name: str  # the output file's stem, and how the summary names the item
    form_id: str
    data: Any
    problem: str = ""  # set when the item itself cannot be read (bad JSON, no form)


@dataclass(frozen=True)
class Outcome:
    name: str
    status: str  # "ok", "refused" or "failed"
    detail: str  # the output path, the refused field and why, or the fault


_SAFE_NAME = re.compile(r"[^\w.\-]+")


def read_items(source: Path, default_form: str | None) -> list[BatchItem]:
    """The items of a directory of ``*.json`` files or of a ``.jsonl`` file, in name / line order;
    a name given twice gets ``-2``, ``-3``… so no output overwrites another."""
    if source.is_dir():
        items = [_item(path.stem, _parse(path.read_text(encoding="utf-8"), path.name), default_form)
                 for path in sorted(source.glob("*.json"))]
    else:
        items = []
        with source.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                if line.strip():
                    items.append(_item(f"line-{number:05d}", _parse(line, f"line {number}"), default_form))
    return list(_unique(items))


def _unique(items: list[BatchItem]) -> Iterator[BatchItem]:
    taken: set[str] = set()
    for item in items:
        name, n = item.name, 1
        while name in taken:
            n += 1
            name = f"{item.name}-{n}"
        taken.add(name)
        yield item if name == item.name else BatchItem(name, item.form_id, item.data, item.problem)


def _parse(text: str, where: str) -> Any:
    nested = json_input.depth(text)
    if nested > json_input.MAX_DEPTH:
        return _Unreadable(f"{where}: the JSON nests {nested} levels deep; a form has at most {json_input.MAX_DEPTH}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        return _Unreadable(f"{where}: not valid JSON (line {err.lineno}, column {err.colno}: {err.msg})")


@dataclass(frozen=True)
class _Unreadable:
    problem: str


def _item(name: str, parsed: Any, default_form: str | None) -> BatchItem:
    if isinstance(parsed, _Unreadable):
        return BatchItem(name, default_form or "", None, problem=parsed.problem)
    if isinstance(parsed, dict) and "input" in parsed and ("form" in parsed or default_form):
        label = str(parsed.get("name") or name)
        return BatchItem(_SAFE_NAME.sub("_", label)[:120] or name, str(parsed.get("form") or default_form),
                         parsed["input"])
    if default_form:
        return BatchItem(name, default_form, parsed)
    return BatchItem(name, "", None, problem='no form: give {"form": FORM_ID, "input": {...}} or --form FORM_ID')


def check(item: BatchItem, templates: TemplateSource) -> tuple[FormSpec, FormModel] | Outcome:
    """The validated form, or the item's ``refused`` outcome naming the field."""
    if item.problem:
        return Outcome(item.name, "refused", item.problem)
    try:
        return validate_input(item.form_id, item.data, templates)
    except ValidationFailed as err:
        fields = "; ".join(f"{p.path or '(body)'}: {p.message}" for p in err.problems)
        return Outcome(item.name, "refused", f"{item.form_id}: {fields}")
    except InputError as err:
        return Outcome(item.name, "refused", err.message)


@dataclass(frozen=True)
class Checked:
    """The items sorted: those refused (with their outcome) and those ready to produce."""

    refused: list[Outcome]
    ready: list[tuple[BatchItem, FormSpec, FormModel]]


def check_all(items: list[BatchItem], templates: TemplateSource) -> Checked:
    refused, ready = [], []
    for item in items:
        checked = check(item, templates)
        if isinstance(checked, Outcome):
            refused.append(checked)
        else:
            ready.append((item, *checked))
    return Checked(refused, ready)


# A checked form's document, signed as filing signs it (``FilingService.produce``).
ProduceChecked = Callable[[FormSpec, FormModel], Produced]


def produce_ready(ready: list[tuple[BatchItem, FormSpec, FormModel]], produce: ProduceChecked, out_dir: Path, *,
                  parallel: int, on_done: Callable[[Outcome], None] = lambda _: None) -> list[Outcome]:
    """Each ready item produced and written, ``parallel`` at a time; ``on_done`` hears each as it
    finishes (a progress bar)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    outcomes = []
    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        futures = [pool.submit(_produce_one, produce, spec, form, out_dir / f"{item.name}.pdf")
                   for item, spec, form in ready]
        for future in as_completed(futures):
            outcomes.append(future.result())
            on_done(outcomes[-1])
    return outcomes


def in_item_order(items: list[BatchItem], outcomes: list[Outcome]) -> list[Outcome]:
    by_name = {outcome.name: outcome for outcome in outcomes}
    return [by_name[item.name] for item in items]


def _produce_one(produce: ProduceChecked, spec: FormSpec, form: FormModel, path: Path) -> Outcome:
    name = path.stem
    try:
        produced = produce(spec, form)
    except FormsError as err:
        return Outcome(name, "failed", err.message)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(produced.pdf)
    tmp.replace(path)  # never a half-written PDF under its name
    return Outcome(name, "ok", str(path))


def summary(outcomes: list[Outcome]) -> dict[str, int]:
    counts = {"ok": 0, "refused": 0, "failed": 0}
    for outcome in outcomes:
        counts[outcome.status] += 1
    return counts


__all__ = ["BatchItem", "Checked", "Outcome", "check", "check_all", "in_item_order", "produce_ready",
           "read_items", "summary"]
