"""Agency templates: `templates check` finds what would spoil a form; bad ones stop start-up."""

from __future__ import annotations

import io
import zipfile

import pytest

from forms_service.components import open_templates
from forms_service.errors import ConfigError
from forms_service.forms import get_form
from forms_service.produce.template_check import check_template
from forms_service.produce.templates import packaged_template
from forms_service.settings import Settings
from tests.conftest import signed_form

SPEC = get_form("annex2-agreement")
GOOD = packaged_template(SPEC.template)


def edited(docx: bytes, old: str, new: str) -> bytes:
    """The template with one piece of document.xml replaced (as an agency's edit in Word would)."""
    src = zipfile.ZipFile(io.BytesIO(docx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "word/document.xml":
                text = data.decode()
                assert old in text, old
                data = text.replace(old, new, 1).encode()
            dst.writestr(item, data)
    return out.getvalue()


def kinds(problems) -> set[str]:
    return {p.kind for p in problems}


def test_the_packaged_templates_pass():
    for form_id in ("annex1-interface", "annex1-copy", "annex2-agreement", "annex3-requirements",
                    "annex4-audit-checklist", "annex5-query-log"):
        spec = get_form(form_id)
        assert check_template(packaged_template(spec.template), spec, provider_name="經濟部商業司") == []


def test_an_unknown_placeholder_is_reported():
    problems = check_template(edited(GOOD, "{{ purpose }}", "{{ purpose }}{{ budget_code }}"), SPEC,
                              provider_name="經濟部商業司")
    assert any(p.kind == "unknown_placeholder" and "budget_code" in p.message for p in problems)


def test_a_misspelt_attribute_is_reported():
    problems = check_template(edited(GOOD, "{{ party.name }}", "{{ party.nmae }}"), SPEC, provider_name="經濟部商業司")
    assert any(p.kind == "unknown_placeholder" and "nmae" in p.message for p in problems)


def test_a_placeholder_split_across_runs_is_reported():
    split = edited(GOOD, "{{ purpose }}",
                   '{{ pur</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">pose }}')
    problems = check_template(split, SPEC, provider_name="經濟部商業司")
    assert any(p.kind == "split_placeholder" and "purpose" in p.message for p in problems)


def test_a_required_field_never_printed_is_reported():
    problems = check_template(edited(GOOD, "{{ party.name }}（以下簡稱本單位）", "本單位"), SPEC,
                              provider_name="經濟部商業司")
    # party.name still prints in the sign-off table, so that edit alone is fine …
    assert "unused_field" not in kinds(problems)
    problems = check_template(edited(GOOD, "{{ representative.title }}　{{ representative.name }}", ""), SPEC,
                              provider_name="經濟部商業司")
    assert any(p.kind == "unused_field" and "representative" in p.message for p in problems)


def test_a_font_that_resolves_to_no_installed_face_is_reported():
    problems = check_template(edited(GOOD, 'w:eastAsia="標楷體"', 'w:eastAsia="華康中楷體"'), SPEC,
                              provider_name="經濟部商業司")
    assert any(p.kind == "unknown_font" and "華康中楷體" in p.message for p in problems)


def test_not_a_word_document_is_reported():
    assert kinds(check_template(b"not a docx", SPEC, provider_name="經濟部商業司")) == {"broken_template"}


def test_the_command_exits_1_with_the_report(runner, tmp_path):
    bad = tmp_path / "agreement.docx"
    bad.write_bytes(edited(GOOD, "{{ purpose }}", "{{ purpose }}{{ budget_code }}"))
    result = runner("templates", "check", str(bad), "--form", "annex2-agreement")
    assert result.exit_code == 1 and "budget_code" in result.stdout
    good = tmp_path / "good.docx"
    good.write_bytes(GOOD)
    assert runner("templates", "check", str(good), "--form", "annex2-agreement").exit_code == 0


# A template that prints something only for one data provider: it must be checked as it will be filled.
# (Every name it uses exists, so only filling it with that provider's name shows the fault.)
FOR_THE_OLD_PROVIDER = "{% if provider_name == '經濟部商業司' %}{{ clauses[99].text }}{% endif %}"


def test_start_up_checks_agency_templates_with_the_configured_provider_name(tmp_path):
    (tmp_path / "annex2-agreement.docx").write_bytes(edited(GOOD, "{{ purpose }}",
                                                            "{{ purpose }}" + FOR_THE_OLD_PROVIDER))
    open_templates(Settings.load(environ={}, template_dir=str(tmp_path)))  # fine for 經濟部商業發展署
    with pytest.raises(ConfigError, match="cannot be filled"):
        open_templates(Settings.load(environ={}, template_dir=str(tmp_path), provider_name="經濟部商業司"))


def test_the_command_checks_with_the_configured_provider_name(runner, tmp_path):
    template = tmp_path / "agreement.docx"
    template.write_bytes(edited(GOOD, "{{ purpose }}", "{{ purpose }}" + FOR_THE_OLD_PROVIDER))
    assert runner("templates", "check", str(template), "--form", "annex2-agreement").exit_code == 0
    result = runner("templates", "check", str(template), "--form", "annex2-agreement",
                    env={"FORMS_PROVIDER_NAME": "經濟部商業司"})
    assert result.exit_code == 1 and "cannot be filled" in result.stdout


def test_a_bad_agency_template_stops_start_up_with_the_report(tmp_path):
    (tmp_path / "annex2-agreement.docx").write_bytes(edited(GOOD, "{{ party.name }}", "{{ party.nmae }}"))
    with pytest.raises(ConfigError, match="nmae"):
        open_templates(Settings.load(environ={}, template_dir=str(tmp_path)))


def test_a_good_agency_template_replaces_the_packaged_one(tmp_path, components):
    from tests.conftest import load_example, pdftotext, squeeze

    (tmp_path / "annex2-agreement.docx").write_bytes(edited(GOOD, "商工資料使用安全約定書",
                                                            "商工資料使用安全約定書（本局版）"))
    templates = open_templates(Settings.load(environ={}, template_dir=str(tmp_path)))
    custom = components.sharing(templates=templates)
    produced = signed_form(custom, "annex2-agreement", load_example("annex2-agreement"))
    assert "商工資料使用安全約定書（本局版）" in squeeze(pdftotext(produced.pdf))


# --- a hostile template (security review, finding 3) ---------------------------------------

def _hostile(marker) -> bytes:
    payload = f"{{{{ cycler.__init__.__globals__.os.system('touch {marker}') }}}}"
    return edited(GOOD, "{{ purpose }}", "{{ purpose }}" + payload)


def test_a_template_that_reaches_for_python_internals_runs_nothing_and_is_unfit(runner, tmp_path):
    marker = tmp_path / "pwned"
    template = tmp_path / "agreement.docx"
    template.write_bytes(_hostile(marker))
    result = runner("templates", "check", str(template), "--form", "annex2-agreement")
    assert not marker.exists()
    assert result.exit_code == 1 and "unsafe_template" in result.stdout


def test_rendering_a_hostile_template_fails_without_running_it(tmp_path):
    from forms_service.forms import RenderOptions
    from forms_service.produce.render import TemplateFailed, render_docx
    from tests.conftest import load_example

    marker = tmp_path / "pwned"
    form = SPEC.validate(load_example("annex2-agreement"))
    with pytest.raises(TemplateFailed, match="unsafe"):
        render_docx(_hostile(marker), SPEC.render_context(form, RenderOptions("經濟部商業司")))
    assert not marker.exists()


def test_a_hostile_agency_template_stops_start_up(tmp_path):
    (tmp_path / "annex2-agreement.docx").write_bytes(_hostile(tmp_path / "pwned"))
    with pytest.raises(ConfigError, match="unsafe_template"):
        open_templates(Settings.load(environ={}, template_dir=str(tmp_path)))
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize("tag, sentence", [
    ("{% include 'word/document.xml' %}", "one document"),
    ("{% import 'macros' as m %}", "one document"),
    ("{% for i in range(10**9) %}x{% endfor %}", "a template may"),
    ("{% for i in range(0, 100000) %}x{% endfor %}", "may count to 10,000"),
    ("{{ 'A' * 10**8 }}", "may build 100,000"),
    ("{{ ['x'] * 10**7 }}", "may build 100,000"),
    ("{{ 'A'|center(10**8) }}", "may ask for 100,000"),
    ("{{ 'A'.ljust(10**8) }}", "may ask for 100,000"),
    ("{{ 2 ** 100000 }}", "power of 64"),
])
def test_a_template_that_would_take_the_machine_is_a_report_line_in_a_moment(runner, tmp_path, tag, sentence):
    """Each is one line of the report (exit 1), found at once — never a traceback, nor seconds of CPU
    and a gigabyte of memory (``'A' * 10**8`` took 15 s and 1.4 GB)."""
    import time

    template = tmp_path / "agreement.docx"
    template.write_bytes(edited(GOOD, "{{ party.name }}", tag + "{{ party.name }}"))
    started = time.monotonic()
    result = runner("templates", "check", str(template), "--form", "annex2-agreement")
    assert time.monotonic() - started < 10
    assert result.exit_code == 1 and sentence in result.stdout, result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_a_limited_check_stops_a_template_that_outgrows_its_memory(monkeypatch):
    """The child process's memory is bounded: what the sandbox's own limits let through is stopped
    there, reported in a sentence, and the command's process is untouched."""
    from forms_service.produce import template_check

    monkeypatch.setattr(template_check, "CHECK_MEMORY", 64 << 20)
    monkeypatch.setattr(template_check, "_check", lambda *a: [b"x" * (512 << 20)])
    [problem] = template_check.check_template_limited(GOOD, SPEC, provider_name="經濟部商業司")
    assert problem.kind == "broken_template" and "memory" in problem.message
