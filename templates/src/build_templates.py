"""Build the committed .docx templates:  python templates/src/build_templates.py

Each ``build_<form>`` writes ``templates/<form_id>.docx``.  Placeholders are docxtpl/Jinja tags
whose names come from the form's context function (forms_service/forms/<module>.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from docx.shared import Cm
from docx_builder import (
    cell_text,
    grid_table,
    keep_together,
    label_value_table,
    new_document,
    no_split,
    page_number_footer,
    paragraph,
    sign_off,
    slim,
    table,
)

OUT = Path(__file__).resolve().parent.parent
CODE = "{{% if {a}.code %}}（機關代碼 {{{{ {a}.code }}}}）{{% endif %}}"  # after an agency's name


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
    for row, (label, value) in zip(t.rows, rows, strict=True):
        cell_text(row.cells[0], label.split("\n")[0], bold=True, align="distribute")
        if "\n" in label:
            paragraph(row.cells[0], label.split("\n")[1], align="distribute")
        cell_text(row.cells[1], value)
    # Room for a hand or seal impression beside the digital signature.
    t.rows[4].height = Cm(2.4)
    keep_together(t)

    paragraph(doc, "{{ signed_on }}", size=14, align="center", space_before=18)
    page_number_footer(doc)
    slim(doc)
    doc.save(OUT / "annex2-agreement.docx")


def _loop_rows(var: str, items: str, cells: list[str]) -> list[list[str]]:
    """docxtpl row loop: a {%tr for %} row, the repeated row, a {%tr endfor %} row."""
    blanks = [""] * (len(cells) - 1)
    return [[f"{{%tr for {var} in {items} %}}", *blanks], cells, ["{%tr endfor %}", *blanks]]


def build_annex1(form_id: str, title: str, *, copy: bool) -> None:
    doc = new_document(body_pt=12)
    paragraph(doc, title, size=18, bold=True, align="center", space_after=6)
    paragraph(doc, "申請日期：{{ applied_on }}", align="right", space_after=4)
    rows = [
        ("申請類別", "{% for t in application_types %}{{ t.box }}{{ t.label }}　{% endfor %}"),
        ("申請介接單位（B層）", "{{ applicant.name }}{% if applicant.code %}（機關代碼 {{ applicant.code }}）{% endif %}"),
        ("地址", "{{ applicant.address }}"),
        ("資料介接主機端", "{{ host.name }}／系統：{{ host.system_name }}"),
        ("主機IP", "{{ host.ips }}"),
        ("資料使用單位（C層）", "{{ user_unit.name }}{% if user_unit.code %}（機關代碼 {{ user_unit.code }}）{% endif %}"),
        ("法源依據", "{{ legal_basis }}"),
        ("用途", "{{ purpose }}"),
        ("使用期限", "自{{ period_start }}起至{{ period_end }}止"),
        ("申請資料項目", "{{ data_items }}"),
        ("來源IP（限定連線）", "{{ security.source_ips }}"),
        ("傳輸安全", "VPN：{{ security.vpn_yes }}是　{{ security.vpn_no }}否　　TLS：{{ security.tls12 }}1.2　{{ security.tls13 }}1.3"),
    ]
    if copy:
        rows += [
            ("資料範圍／期間", "{{ copy.data_range }}"),
            ("交付媒體", "{{ copy.media }}"),
            ("交付方式", "{{ copy.delivery }}"),
            ("受託處理者", "{{ copy.contractor }}"),
            ("返還／銷毀日期", "{{ copy.return_or_destroy_by }}"),
        ]
    else:
        rows.append(("介接頻率", "{{ frequency }}"))
    rows += [
        ("業務聯絡人", "{{ contacts.business.name }}{% if contacts.business.title %}（{{ contacts.business.title }}）{% endif %}　{{ contacts.business.phone }}　{{ contacts.business.email }}"),
        ("資訊聯絡人", "{{ contacts.it.name }}{% if contacts.it.title %}（{{ contacts.it.title }}）{% endif %}　{{ contacts.it.phone }}　{{ contacts.it.email }}"),
        ("備註", "{{ remarks }}"),
    ]
    no_split(label_value_table(doc, rows))
    paragraph(doc, "使用者（業務範圍）", bold=True, space_before=8, space_after=2)
    grid_table(
        doc, ["序號", "姓名", "職稱", "帳號", "業務範圍"],
        _loop_rows("u", "users", ["{{ u.no }}", "{{ u.name }}", "{{ u.title }}", "{{ u.account }}", "{{ u.business_scope }}"]),
        [1.4, 3.0, 3.0, 3.2, 6.0],
    )
    paragraph(doc, "檢附：附件2 商工資料使用安全約定書、附件3 使用商工資料作業要求。", space_before=6, space_after=6)
    sign_off(doc, ["承辦人", "單位主管", "機關首長（或授權人）"])
    paragraph(doc, "", space_after=6)
    review = label_value_table(doc, [
        ("{{ provider_name }}審核", ""), ("審核意見", ""), ("核准日期", ""), ("核准文號", ""),
    ])
    review.rows[1].height = Cm(2.0)
    keep_together(review)
    page_number_footer(doc)
    slim(doc)
    doc.save(OUT / f"{form_id}.docx")


def build_annex3_requirements() -> None:
    doc = new_document(body_pt=12)
    paragraph(doc, "{{ title }}", size=18, bold=True, align="center", space_after=10)
    sections = [
        ("一、依據及目的", "{{ applicant.name }}依據「{{ legal_basis }}」，為「{{ purpose }}」之用途，提供{{ user_unit.name }}使用{{ provider_name }}之商工資料，為確保資料安全，訂定本作業要求。"),
        ("二、適用範圍", "{{ user_unit.name }}使用「{{ system_name }}」查詢、處理或利用商工資料之人員、設備及作業。"),
        ("三、權責", "管理人員：{{ manager.name }}{% if manager.title %}（{{ manager.title }}）{% endif %}，負責帳號、權限及連線之管理；稽核人員：{{ auditor.name }}{% if auditor.title %}（{{ auditor.title }}）{% endif %}，負責查詢紀錄之檢視及年度查核。管理人員與稽核人員不得為同一人。"),
        ("四、帳號管理", "帳號應專人專用，不得共用，並依最小權限原則設定；人員調職或離職時應即停用或註銷帳號；帳號閒置逾{{ idle_days }}日者應予停用。"),
        ("五、連線傳輸", "僅限核准之IP位址連線，並採虛擬私人網路（VPN）及傳輸層安全協定（TLS）加密傳輸。"),
        ("六、資料保管", "商工資料僅得於核准之用途範圍內使用，不得複製、轉作他用或提供予第三人；列印或複製之資料應妥善保管，不再使用時應即銷毀。"),
        ("七、查詢紀錄與每月檢視", "系統應留存查詢紀錄，並由稽核人員每月檢視，填具「商工登記資料查詢紀錄登記表」（附件5）；查詢紀錄及檢視結果至少保存一年。"),
        ("八、系統告示", "「{{ system_name }}」應於查詢畫面揭示下列告示文字：「{{ notice }}」"),
        ("九、年度檢視與查核", "每年至少辦理一次安全檢視，填具「使用商工資料資通安全查核紀錄表」（附件4），並配合{{ applicant.name }}及{{ provider_name }}之查核；缺失應於一個月內改善。"),
        ("十、終止與刪除", "使用期限屆滿或終止使用時，應停止連線，並於一個月內刪除所有商工資料，留存銷毀紀錄。"),
        ("十一、違規處理", "違反本作業要求者，{{ applicant.name }}得停止其資料使用，並依資通安全管理法、個人資料保護法及相關法令處理。"),
    ]
    for heading, body in sections:
        p = paragraph(doc, heading, bold=True, space_before=6, space_after=2)
        p.paragraph_format.keep_with_next = True
        paragraph(doc, body, first_line_cm=0.85, align="left", space_after=2)
    paragraph(doc, "", space_after=6)
    person = "{{ %s.name }}{%% if %s.title %%}（{{ %s.title }}）{%% endif %%}　{{ %s.phone }}　{{ %s.email }}"
    t = label_value_table(doc, [
        ("申請介接單位", "{{ applicant.name }}" + CODE.format(a="applicant")),
        ("資料使用單位", "{{ user_unit.name }}" + CODE.format(a="user_unit")),
        ("系統名稱", "{{ system_name }}"),
        ("管理人員", person % (("manager",) * 5)),
        ("稽核人員", person % (("auditor",) * 5)),
        ("生效日期", "{{ effective_on }}"),
    ])
    keep_together(t)
    page_number_footer(doc)
    slim(doc)
    doc.save(OUT / "annex3-requirements.docx")


def build_annex4_audit_checklist() -> None:
    doc = new_document(body_pt=11)
    paragraph(doc, "{{ title }}", size=17, bold=True, align="center", space_after=8)
    no_split(label_value_table(doc, [
        ("受查單位", "{{ user_unit.name }}" + CODE.format(a="user_unit")),
        ("查核日期", "{{ audit_date }}"),
        ("查核期間", "自{{ period_start }}起至{{ period_end }}止"),
        ("查核人員", "{{ auditors }}"),
        ("受查單位陪同人員", "{{ escorts }}"),
    ]))
    paragraph(doc, "", space_after=4)
    grid_table(
        doc, ["項次", "查核項目", "查核內容", "查核結果", "說明／佐證"],
        _loop_rows("i", "items", [
            "{{ i.no }}", "{{ i.category }}", "{{ i.text }}",
            "{{ i.box.conform }}符合\n{{ i.box.nonconform }}不符合\n{{ i.box.na }}不適用", "{{ i.note }}",
        ]),
        [1.2, 2.4, 5.8, 2.6, 4.6], size=10.5,
    )
    paragraph(doc, "缺失事項及改善措施", bold=True, space_before=8, space_after=2)
    paragraph(doc, "{%p if has_findings %}")
    grid_table(
        doc, ["序號", "缺失事項", "改善措施", "改善期限"],
        _loop_rows("f", "findings", ["{{ f.no }}", "{{ f.issue }}", "{{ f.action }}", "{{ f.due }}"]),
        [1.2, 6.2, 6.2, 3.0], size=10.5,
    )
    paragraph(doc, "{%p else %}")
    paragraph(doc, "本次查核無缺失事項。")
    paragraph(doc, "{%p endif %}")
    paragraph(doc, "", space_after=6)
    sign_off(doc, ["查核人員", "受查單位主管", "機關首長"])
    page_number_footer(doc)
    slim(doc)
    doc.save(OUT / "annex4-audit-checklist.docx")


def build_annex5_query_log() -> None:
    doc = new_document(body_pt=10, landscape=True)
    paragraph(doc, "{%p if show_head %}")
    paragraph(doc, "{{ title }}", size=16, bold=True, align="center", space_after=4)
    paragraph(doc, "資料使用單位：{{ user_unit.name }}" + CODE.format(a="user_unit") + "　　系統名稱：{{ system_name }}　　月份：{{ month }}　　查詢筆數：{{ count }}", space_after=4)
    paragraph(doc, "{%p endif %}")
    grid_table(
        doc, ["序號", "查詢日期時間", "查詢人員", "查詢對象統一編號／名稱", "查詢目的／業務依據", "案號或文號", "核准人", "備註"],
        _loop_rows("r", "rows", [
            "{{ r.no }}", "{{ r.at }}", "{{ r.user }}", "{{ r.subject }}", "{{ r.purpose }}", "{{ r.case_no }}",
            "{{ r.approver }}", "{{ r.note }}",
        ]),
        [1.3, 3.0, 3.2, 4.4, 5.0, 3.4, 2.2, 2.8], size=9.5,
    )
    paragraph(doc, "{%p if no_rows and show_review %}")
    paragraph(doc, "本月無查詢紀錄。", space_before=4)
    paragraph(doc, "{%p endif %}")
    paragraph(doc, "{%p if show_review %}")
    paragraph(doc, "", space_after=4)
    review = label_value_table(doc, [
        ("每月檢視結果", "{{ review.normal }}無異常　{{ review.abnormal }}有異常"),
        ("說明", "{{ review.explanation }}"),
        ("檢視人員", "{{ review.reviewer }}"),
        ("檢視日期", "{{ review.reviewed_on }}"),
    ], widths=(4.0, 21.3))
    keep_together(review)
    paragraph(doc, "保存期限：本表及檢視結果至少保存一年（使用商工資料資通安全管理規範 六(四)2(1)）。", size=9, space_before=4)
    paragraph(doc, "{%p endif %}")
    page_number_footer(doc)
    slim(doc)
    doc.save(OUT / "annex5-query-log.docx")


def build_disposition_certificate() -> None:
    doc = new_document(body_pt=12)
    paragraph(doc, "商工資料紀錄銷毀證明", size=18, bold=True, align="center", space_after=10)
    paragraph(doc, "下列紀錄已逾保存期限且未受法律保全（legal hold），經申請及核准後，自典藏系統中刪除；"
                   "刪除前各版本之雜湊值記載如下，以供日後查證。", first_line_cm=0.85, space_after=6)
    no_split(label_value_table(doc, [
        ("紀錄編號", "{{ record_id }}"), ("表單", "{{ title }}"), ("機關", "{{ agency }}"),
        ("申請人", "{{ requested_by }}"), ("申請理由", "{{ reason }}"), ("核准人", "{{ approved_by }}"),
        ("銷毀時間", "{{ disposed_at }}"),
    ]))
    paragraph(doc, "已刪除之版本", bold=True, space_before=8, space_after=2)
    grid_table(doc, ["版本", "物件", "SHA-256"],
               _loop_rows("v", "versions", ["{{ v.number }}", "{{ v.object_key }}", "{{ v.sha256 }}"]),
               [1.4, 6.6, 8.6], size=8)
    page_number_footer(doc)
    slim(doc)
    doc.save(OUT / "disposition-certificate.docx")


if __name__ == "__main__":
    build_disposition_certificate()
    build_annex1("annex1-interface", "商工e網通異動資料介接申請單", copy=False)
    build_annex1("annex1-copy", "商工e網通資料複製申請單", copy=True)
    build_annex2_agreement()
    build_annex3_requirements()
    build_annex4_audit_checklist()
    build_annex5_query_log()
    print("templates written to", OUT)
