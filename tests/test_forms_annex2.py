"""annex2-agreement: its model, validation errors naming field paths, and the filled .docx."""

import io
import zipfile

import pytest
from docx import Document

from forms_service.errors import ValidationFailed
from forms_service.forms import RenderOptions, all_forms, get_form
from forms_service.produce.render import render_docx
from forms_service.produce.templates import packaged_template

SPEC = get_form("annex2-agreement")


def problems(data) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        SPEC.validate(data)
    return {p.path: p.message for p in caught.value.problems}


def document_xml(data) -> str:
    form = SPEC.validate(data)
    docx = render_docx(packaged_template(SPEC.template), SPEC.render_context(form, RenderOptions("經濟部商業司")))
    with zipfile.ZipFile(io.BytesIO(docx)) as zf:
        return zf.read("word/document.xml").decode()


def test_the_example_is_valid(example):
    form = SPEC.validate(example("annex2-agreement"))
    assert form.period.start.year == 2026 and form.period.end.year == 2028


def test_a_missing_nested_field_is_named_by_its_path(example):
    data = example("annex2-agreement")
    del data["representative"]["title"]
    assert "representative.title" in problems(data)


def test_a_misspelt_field_is_refused_not_ignored(example):
    data = example("annex2-agreement")
    data["purpse"] = "x"
    assert problems(data)["purpse"].startswith("此表單沒有這一欄")


def test_an_impossible_roc_date_is_named(example):
    data = example("annex2-agreement")
    data["signed_on"] = "民國112年2月29日"
    assert "「民國112年2月29日」這一天不存在" in problems(data)["signed_on"]


def test_a_period_ending_before_it_starts_is_named_at_its_end(example):
    data = example("annex2-agreement")
    data["period"] = {"start": "115/12/01", "end": "115/11/30"}
    assert "迄日（115/11/30）早於起日（115/12/01）" in problems(data)["period.end"]


def test_a_bad_agency_code_and_email_are_named(example):
    data = example("annex2-agreement")
    data["party"]["code"] = "12AB"
    data["contact"]["email"] = "not-an-email"
    found = problems(data)
    assert {"party.code", "contact.email"} <= set(found)


def test_one_line_fields_fold_line_breaks_and_drop_control_characters(example):
    data = example("annex2-agreement")
    data["purpose"] = "第一行\n第二行\r\n\f第三\x0b行\x07"
    form = SPEC.validate(data)
    assert form.purpose == "第一行 第二行 第三行"


HOSTILE = "A&B <c> \"q\" 'x' </w:t><w:br/> {{ x }} {_{ y }_} {%p if 1 %} 𡘙😀"


def test_hostile_values_come_out_of_the_document_literally(example):
    data = example("annex2-agreement")
    data["party"]["name"] = HOSTILE
    form = SPEC.validate(data)
    docx = render_docx(packaged_template(SPEC.template), SPEC.render_context(form, RenderOptions("經濟部商業司")))
    doc = Document(io.BytesIO(docx))
    texts = [p.text for p in doc.paragraphs]
    texts += [c.text for t in doc.tables for row in t.rows for c in row.cells]
    assert any(HOSTILE in t for t in texts)
    # docxtpl rewrites {_{ to {{ after rendering: the value must survive that pass unchanged
    assert not any("{{ y }}" in t for t in texts)
    assert 'w:type="page"' not in document_xml(data)


def test_a_multi_line_clause_keeps_its_line_break_but_cannot_break_the_page(example):
    data = example("annex2-agreement")
    data["extra_clauses"] = ["第一行\n第二行\f第三行\a"]
    xml = document_xml(data)
    assert "第一行</w:t><w:br/>" in xml
    assert 'w:type="page"' not in xml


def test_every_form_publishes_a_json_schema_from_its_model():
    for spec in all_forms():
        schema = spec.json_schema()
        assert schema["$id"].endswith(spec.form_id)
        assert "properties" in schema and schema["additionalProperties"] is False


@pytest.mark.parametrize("form_id", [spec.form_id for spec in all_forms()])
def test_a_template_patched_once_fills_as_docxtpl_patching_it_every_time(form_id, monkeypatch):
    from docxtpl import DocxTemplate

    from forms_service.produce import render
    from tests.conftest import load_example

    spec = get_form(form_id)
    context = spec.render_context(spec.validate(load_example(form_id)), RenderOptions(provider_name="經濟部商業發展署"))
    template = packaged_template(spec.template)

    def parts(docx: bytes) -> dict[str, bytes]:
        with zipfile.ZipFile(io.BytesIO(docx)) as archive:
            return {name: archive.read(name) for name in archive.namelist() if name.startswith("word/")}

    monkeypatch.setattr(render._PatchingOnceTemplate, "_patched", {})
    first, again = render_docx(template, context), render_docx(template, context)  # patched, then kept
    assert render._PatchingOnceTemplate._patched
    monkeypatch.setattr(render, "_PatchingOnceTemplate", DocxTemplate)  # docxtpl's own, every time
    assert parts(first) == parts(again) == parts(render_docx(template, context))
