"""Build the committed .docx templates:  python templates/src/build_templates.py

Each ``build_<form>`` writes ``templates/<form_id>.docx``.  Placeholders are docxtpl/Jinja tags
whose names come from the form's context function (forms_service/forms/<module>.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from docx_builder import (  # noqa: E402
    cell_text, keep_together, new_document, page_number_footer, paragraph, slim, table,
)

OUT = Path(__file__).resolve().parent.parent


def build_annex2_agreement() -> None:
    doc = new_document(body_pt=13)
    paragraph(doc, "商工資料使用安全約定書", size=20, bold=True, align="center", space_after=12)
    paragraph(
        doc,
        "立約定書人{{ party.name }}（以下簡稱本單位）為辦理「{{ purpose }}」業務，並提供"
        "{{ user_unit.name }}（以下簡稱資料使用單位）使用{{ provider_name }}提供之商工資料，"
        "爰立本約定書，願遵守下列事項：",
        first_line_cm=0.93, align="justify", space_after=6,
    )
    paragraph(doc, "{%p for c in clauses %}")
    # Left-aligned: justified lines before a manual line break get stretched across the page.
    paragraph(doc, "{{ c.number }}、{{ c.text }}", hanging_cm=1.4, align="left", space_after=3)
    paragraph(doc, "{%p endfor %}")
    paragraph(doc, "此致", space_before=12).paragraph_format.keep_with_next = True
    p = paragraph(doc, "{{ provider_name }}", first_line_cm=0.93, space_after=12)
    p.paragraph_format.keep_with_next = True

    rows = [
        ("立約定書人\n（申請介接單位）", "{{ party.name }}"),
        ("機關代碼", "{{ party.code }}"),
        ("地址", "{{ party.address }}"),
        ("機關首長或代表人", "{{ representative.title }}　{{ representative.name }}"),
        ("簽章", ""),
        ("聯絡人", "{{ contact.name }}{% if contact.title %}（{{ contact.title }}）{% endif %}"),
        ("聯絡電話／電子郵件", "{{ contact.phone }}{% if contact.phone and contact.email %}／{% endif %}{{ contact.email }}"),
        ("資料使用單位", "{{ user_unit.name }}{% if user_unit.code %}（機關代碼 {{ user_unit.code }}）{% endif %}"),
        ("約定期間", "自{{ period_start }}起至{{ period_end }}止"),
    ]
    t = table(doc, len(rows), 2, [5.0, 11.6])
    for row, (label, value) in zip(t.rows, rows):
        cell_text(row.cells[0], label.split("\n")[0], bold=True, align="distribute")
        if "\n" in label:
            paragraph(row.cells[0], label.split("\n")[1], align="distribute")
        cell_text(row.cells[1], value)
    # Room for a hand or seal impression beside the digital signature.
    from docx.shared import Cm
    t.rows[4].height = Cm(2.4)
    keep_together(t)

    paragraph(doc, "{{ signed_on }}", size=14, align="center", space_before=18)
    page_number_footer(doc)
    slim(doc)
    doc.save(OUT / "annex2-agreement.docx")


if __name__ == "__main__":
    build_annex2_agreement()
    print("templates written to", OUT)
