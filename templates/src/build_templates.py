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
    signature_cell,
    slim,
    stamp_room,
    table,
)

OUT = Path(__file__).resolve().parent.parent
CODE = "{{% if {a}.code %}}（機關代碼 {{{{ {a}.code }}}}）{{% endif %}}"  # after an agency's name
# The record a form rests on: its title and filing day in words (the producer's ``related_title``,
# what the filer could see of it), its 紀錄編號 after them as the exact reference.
RELATED = ("{% if related_title %}{{ related_title }}（紀錄編號 {{ related_record }}）"
           "{% elif related_record %}紀錄編號 {{ related_record }}{% endif %}")


def build_annex2_agreement() -> None:
    doc = new_document(body_pt=12)
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
    paragraph(doc, "{{ c.number }}、{{ c.text }}{{ c.source }}", hanging_cm=1.4, align="left", space_after=3)
    paragraph(doc, "{%p endfor %}")
    paragraph(doc, "{%p if own_clauses %}")
    paragraph(doc, "本單位自訂約定事項（非屬規範條文，由本單位自行約定）：", bold=True, space_before=6, space_after=3)
    paragraph(doc, "{%p for c in own_clauses %}")
    paragraph(doc, "{{ c.number }}、{{ c.text }}", hanging_cm=1.4, align="left", space_after=3)
    paragraph(doc, "{%p endfor %}")
    paragraph(doc, "{%p endif %}")
    paragraph(doc, "使用者（業務範圍）", bold=True, space_before=8, space_after=2)
    grid_table(
        doc, ["序號", "姓名", "職稱", "帳號", "業務範圍"],
        _loop_rows("u", "users", ["{{ u.no }}", "{{ u.name }}", "{{ u.title }}", "{{ u.account }}", "{{ u.business_scope }}"]),
        [1.4, 3.0, 3.0, 3.2, 6.0],
    )
    paragraph(doc, "此致", space_before=12).paragraph_format.keep_with_next = True
    p = paragraph(doc, "{{ provider_name }}", first_line_cm=0.93, space_after=12)
    p.paragraph_format.keep_with_next = True

    rows = [
        ("立約定書人\n（申請介接單位）", "{{ party.name }}"),
        ("機關代碼", "{{ party.code }}"),
        ("地址", "{{ party.address }}"),
        ("機關首長或代表人", "{{ representative.title }}　{{ representative.name }}"),
        ("簽章（機關憑證或代表人）", ""),
        ("聯絡人", "{{ contact.name }}{% if contact.title %}（{{ contact.title }}）{% endif %}"),
        ("聯絡電話／電子郵件", "{{ contact.phone }}{% if contact.phone and contact.email %}／{% endif %}{{ contact.email }}"),
        ("資料使用單位", "{{ user_unit.name }}{% if user_unit.code %}（機關代碼 {{ user_unit.code }}）{% endif %}"),
        ("約定期間", "自{{ period_start }}起至{{ period_end }}止"),
        ("所據附件1", RELATED),
    ]
    t = table(doc, len(rows), 2, [5.0, 11.6])
    for row, (label, value) in zip(t.rows, rows, strict=True):
        cell_text(row.cells[0], label.split("\n")[0], bold=True, align="distribute")
        if "\n" in label:
            paragraph(row.cells[0], label.split("\n")[1], align="distribute")
        cell_text(row.cells[1], value)
    signature_cell(t.rows[4].cells[1], "party")
    t.rows[4].height = Cm(2.4)
    keep_together(t)
    paragraph(doc, "", space_after=6)
    countersign = table(doc, 1, 2, [5.0, 11.6])
    cell_text(countersign.rows[0].cells[0], "{{ provider_name }}會簽", bold=True, align="distribute")
    signature_cell(countersign.rows[0].cells[1], "provider", unused="")
    countersign.rows[0].height = Cm(2.4)
    keep_together(countersign)

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
    person = ("{{ contacts.%s.name }}{%% if contacts.%s.title %%}（{{ contacts.%s.title }}）{%% endif %%}"
              "　{{ contacts.%s.phone }}　{{ contacts.%s.email }}")
    rows = [
        ("申請類別", "{% for t in application_types %}{{ t.box }}{{ t.label }}　{% endfor %}"),
        ("{{ letter_label }}", "{{ letter.number }}（{{ letter.date }}）"),
        ("申請介接單位（B層）", "{{ applicant.name }}" + CODE.format(a="applicant")),
        ("地址", "{{ applicant.address }}"),
        ("資料介接主機端", "{{ host.name }}／系統：{{ host.system_name }}"),
        ("主機IP", "{{ host.ips }}"),
        ("資料使用單位（C層）", "{{ user_unit.name }}" + CODE.format(a="user_unit")),
        ("{%tr if related.record or related.approval_number %}", ""),
        ("原申請紀錄", "{% if related.record %}{% if related_title %}{{ related_title }}（紀錄編號 {{ related.record }}）"
                       "{% else %}紀錄編號 {{ related.record }}{% endif %}{% endif %}"
                       "{% if related.record and related.approval_number %}；{% endif %}"
                       "{% if related.approval_number %}核准文號 {{ related.approval_number }}{% endif %}"),
        ("{%tr endif %}", ""),
        ("{%tr if full %}", ""),
        ("資料交換方式", "{% for m in exchange_methods %}{{ m.box }}{{ m.label }}　{% endfor %}"),
        ("涉及個人機敏資料", "{{ sensitive_yes }}是　{{ sensitive_no }}否"),
        ("法源依據", "{{ legal_basis }}"),
        ("用途", "{{ purpose }}"),
        ("使用期限", "自{{ period_start }}起至{{ period_end }}止"),
        ("申請資料項目", "{{ data_items }}"),
        ("{%tr if security.given %}", ""),
        ("來源IP（限定連線）", "{{ security.source_ips }}"),
        ("{%tr if security.wide_network_reason %}", ""),
        ("放寬網段理由", "{{ security.wide_network_reason }}"),
        ("{%tr endif %}", ""),
        ("傳輸安全", "VPN：{{ security.vpn_yes }}是　{{ security.vpn_no }}否　　TLS：{{ security.tls12 }}1.2　{{ security.tls13 }}1.3"),
        ("{%tr endif %}", ""),
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
        ("業務聯絡人", person % (("business",) * 5)),
        ("資訊聯絡人", person % (("it",) * 5)),
        ("{%tr else %}", ""),
        ("終止類別", "{{ termination.kind }}"),
        ("終止日期", "{{ termination.effective_on }}"),
        ("終止理由", "{{ termination.reason }}"),
        ("{%tr endif %}", ""),
        ("備註", "{{ remarks }}"),
    ]
    no_split(label_value_table(doc, rows))
    paragraph(doc, "{%p if full %}")
    paragraph(doc, "使用者（業務範圍）", bold=True, space_before=8, space_after=2)
    grid_table(
        doc, ["序號", "姓名", "職稱", "帳號", "業務範圍"],
        _loop_rows("u", "users", ["{{ u.no }}", "{{ u.name }}", "{{ u.title }}", "{{ u.account }}", "{{ u.business_scope }}"]),
        [1.4, 3.0, 3.0, 3.2, 6.0],
    )
    paragraph(doc, "檢附：作業依據（{{ basis_documents }}）、附件2 商工資料使用安全約定書、附件3 使用商工資料作業要求。",
              space_before=6, space_after=6)
    paragraph(doc, "{%p elif termination.by_provider %}")
    paragraph(doc, "{{ provider_name }}依上開來文終止本連線作業。資料使用單位應依規範六(一)2(4)，"
                   "「於一個月內清除介接所得之商工資料」。", space_before=6, space_after=6)
    paragraph(doc, "{%p else %}")
    paragraph(doc, "本單位已無使用需求，依規範六(一)2(4)申請終止該連線作業，並於終止後一個月內清除介接所得之商工資料。",
              space_before=6, space_after=6)
    paragraph(doc, "{%p endif %}")
    # A provider's stop is the provider's alone: no agency signs what it did not ask for.
    paragraph(doc, "{%p if not termination.by_provider %}")
    sign_off(doc, [("承辦人", "officer"), ("單位主管", "supervisor"), ("機關首長（或授權人）", "head")])
    paragraph(doc, "{%p endif %}")
    paragraph(doc, "", space_after=6)
    review = label_value_table(doc, [
        ("{{ provider_name }}審核", ""), ("審核意見", ""), ("核准日期", ""), ("核准文號", ""),
    ])
    signature_cell(review.rows[0].cells[1], "provider", unused="")
    review.rows[0].height = Cm(2.2)
    review.rows[1].height = Cm(2.0)
    keep_together(review)
    page_number_footer(doc)
    slim(doc)
    doc.save(OUT / f"{form_id}.docx")


def build_annex3_requirements() -> None:
    doc = new_document(body_pt=12)
    paragraph(doc, "{{ title }}", size=18, bold=True, align="center", space_after=10)
    sections = [
        ("一、依據及目的", "{{ applicant.name }}依據「{{ legal_basis }}」，為「{{ purpose }}」之用途，提供{{ user_unit.name }}使用{{ provider_name }}之商工資料，為確保資料安全，依「使用商工資料資通安全管理規範」六(一)2(2)訂定本作業要求。"),
        ("二、適用範圍", "{{ user_unit.name }}使用「{{ system_name }}」查詢、處理或利用商工資料之所有使用單位、使用者、設備及作業；適用期間：{{ period }}。"),
        ("三、權責", "管理人員：{{ manager.name }}{% if manager.title %}（{{ manager.title }}）{% endif %}，負責帳號、權限及連線之管理；查核人員：{{ auditor.name }}{% if auditor.title %}（{{ auditor.title }}）{% endif %}，負責每月查核使用者調用查詢紀錄及每年自行檢視。"),
        ("四、資料介接主機端資通安全管理（規範六(二)、六(一)2(3)）", "參閱本作業要求或依循{{ applicant.name }}之資通安全管理規定。使用商工資料，傳輸作業應啟動各項安全防護機制，包含IP限制、VPN傳輸、TLS加密等方式。"),
        ("五、資料使用者端資通安全管理（規範六(三)）", "參閱本作業要求或依循{{ applicant.name }}之資通安全管理規定。"),
        ("六、安全檢測（規範六(一)2(5)）", "為保護商工資料傳輸作業資訊，免於詐欺行為、契約爭議及未經授權的揭露與修改，網路管理人員應定期執行安全檢測作業，如弱點掃描或滲透測試等服務，並將其技術脆弱點進行修補且留有紀錄備查，以確保重要資訊之機密性及完整性。"),
        ("七、每月查核（規範六(四)2(1)）", "業務系統使用單位應指派查核人員，針對使用者每月調用查詢紀錄進行查核，以確保所調案件是否為業務所需。同時查核施行之資通安全保護作業是否確實，查核結果（報告）應留存1年備供查核，如機關已備符合法規之定期作業，則自行依機關資安規定施作。查核結果填具「{{ user_unit.name }}商工登記資料查詢紀錄登記表」（附件5）。"),
        ("八、查調者說明（規範六(四)2(2)）", "查核結果若有缺漏，則應請查調者說明；若涉及不法，依第十三點辦理。"),
        ("九、系統提示文字（規範六(五)）", "「{{ system_name }}」建議於查詢畫面標註下列提示文字：「{{ notice }}」"),
        ("十、自行查核及每年自行檢視（規範六(四)1、六(一)2(4)）", "內部應自行查核，範圍應涵蓋所有使用單位及使用者。每年應自行檢視使用情形以確保資料安全及未經授權的揭露與修改，並填具「{{ user_unit.name }}使用商工資料資通安全查核紀錄表」（附件4）；{{ provider_name }}辦理稽核時，應於稽核日5工作日前先行填覆稽核紀錄表（規範七(四)2）。"),
        ("十一、資安事件通報（規範六(六)4）", "若發生資料外洩或相關資安事件，應立即通知{{ applicant.name }}及資料提供機關{{ provider_name }}。"),
        ("十二、終止與清除（規範六(一)2(4)）", "如已無使用需求，應即通知{{ applicant.name }}函文向{{ provider_name }}申請終止該連線作業，並應於一個月內清除介接所得之商工資料。"),
        ("十三、違規處理（規範六(六)）", "違反相關規定者，除由服務機關懲處外，並應依下列規定究責：使用單位或使用者不當使用或洩漏經由{{ provider_name }}提供之商工資料，致當事人權益受損，發生爭議、訴訟時，使用單位或使用者依資通安全管理法、個人資料保護法、國家賠償法、公司法或其他相關業務法令之規定負完全責任；使用者不當使用商工資料之行政責任，應由其所屬機關議處；其涉及刑事責任者，移送司法機關處理。"),
        ("十四、本單位自訂之管理措施（非屬規範條文）", "主機僅開放核准之來源IP連線，並由系統留存使用者之查詢紀錄；帳號應專人專用，不得共用，並依最小權限原則設定；人員調職或離職時應即停用或註銷帳號；帳號閒置逾{{ idle_days }}日者應予停用；列印或複製之商工資料應妥善保管，不再使用時應即銷毀。"),
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
        ("查核人員", person % (("auditor",) * 5)),
        ("使用期限", "{{ period }}"),
        ("生效日期", "{{ effective_on }}"),
        ("所據附件1", RELATED),
    ])
    keep_together(t)
    paragraph(doc, "", space_after=6)
    approval = label_value_table(doc, [
        ("{{ applicant.name }}核定", ""), ("核定人", "{{ approval.approver }}"), ("核定日期", "{{ approval.approved_on }}"),
        ("簽章（機關憑證或核定人）", ""),
    ])
    signature_cell(approval.rows[3].cells[1], "approver")
    approval.rows[3].height = Cm(2.4)
    keep_together(approval)
    page_number_footer(doc)
    slim(doc)
    doc.save(OUT / "annex3-requirements.docx")


def build_annex4_audit_checklist() -> None:
    doc = new_document(body_pt=11)
    paragraph(doc, "{{ title }}", size=17, bold=True, align="center", space_after=8)
    no_split(label_value_table(doc, [
        ("查核類別", "{% for k in kinds %}{{ k.box }}{{ k.label }}　{% endfor %}"),
        ("受查單位", "{{ user_unit.name }}" + CODE.format(a="user_unit")),
        ("查核日期", "{{ audit_date }}"),
        ("查核期間", "自{{ period_start }}起至{{ period_end }}止"),
        ("查核人員", "{{ auditors }}"),
        ("受查單位陪同人員", "{{ escorts }}"),
        ("受查單位填表人", "{{ filled_by }}"),
        ("填覆日期", "{{ filled_on }}"),
        ("{%tr if related_record %}", ""),
        ("所據附件1", RELATED),
        ("{%tr endif %}", ""),
    ]))
    paragraph(doc, "", space_after=4)
    grid_table(
        doc, ["項次", "查核項目", "查核內容（規範依據）", "受查單位自評", "查核結果", "說明／佐證"],
        _loop_rows("i", "items", [
            "{{ i.no }}", "{{ i.category }}", "{{ i.text }}（{{ i.source }}）", "{{ i.self }}",
            "{{ i.box.conform }}符合\n{{ i.box.nonconform }}不符合\n{{ i.box.na }}不適用", "{{ i.note }}",
        ]),
        [1.1, 2.0, 5.2, 2.0, 2.5, 3.8], size=10,
    )
    paragraph(doc, "缺失事項及改善措施", bold=True, space_before=8, space_after=2)
    paragraph(doc, "{%p if has_findings %}")
    grid_table(
        doc, ["序號", "項次", "缺失事項", "改善措施", "改善期限"],
        _loop_rows("f", "findings", ["{{ f.no }}", "{{ f.item }}", "{{ f.issue }}", "{{ f.action }}", "{{ f.due }}"]),
        [1.2, 1.2, 5.6, 5.6, 3.0], size=10.5,
    )
    paragraph(doc, "{%p else %}")
    paragraph(doc, "本次查核無缺失事項。")
    paragraph(doc, "{%p endif %}")
    paragraph(doc, "", space_after=6)
    sign_off(doc, [("受查單位填表人", "filler"), ("受查單位（機關憑證）", "unit"), ("稽核小組", "team")],
             not_agencys=("team",))
    page_number_footer(doc)
    slim(doc)
    doc.save(OUT / "annex4-audit-checklist.docx")


def build_annex5_query_log() -> None:
    doc = new_document(body_pt=10, landscape=True)
    paragraph(doc, "{%p if show_head %}")
    paragraph(doc, "{{ title }}", size=16, bold=True, align="center", space_after=4)
    paragraph(doc, "資料使用單位：{{ user_unit.name }}" + CODE.format(a="user_unit") + "　　系統名稱：{{ system_name }}　　月份：{{ month }}　　查詢筆數：{{ count }}", space_after=4)
    paragraph(doc, "{%p endif %}")
    # Widths by what the columns hold: the 查調者說明 and 備註 carry sentences, the others short values.
    entries = grid_table(
        doc, ["序號", "查詢日期時間", "查詢人員", "查詢對象統一編號／名稱／負責人", "查詢目的／業務依據", "案號或文號",
              "核准人", "查調者說明", "備註"],
        _loop_rows("r", "rows", [
            "{{ r.no }}", "{{ r.at }}", "{{ r.user }}", "{{ r.subject }}", "{{ r.purpose }}", "{{ r.case_no }}",
            "{{ r.approver }}", "{{ r.explanation }}", "{{ r.note }}",
        ]),
        [1.0, 2.5, 2.6, 3.5, 3.1, 2.5, 1.6, 5.3, 3.2], size=9.5,
    )
    no_split(entries)  # a query's row is never cut across two pages
    paragraph(doc, "{%p if no_rows and show_review %}")
    paragraph(doc, "本月無查詢紀錄。", space_before=4)
    paragraph(doc, "{%p endif %}")
    paragraph(doc, "{%p if show_review %}")
    paragraph(doc, "", space_after=4)
    review = label_value_table(doc, [
        ("每月查核結果", "{{ review.normal }}無異常　{{ review.abnormal }}有異常（所調案件是否為業務所需，並同時查核資通安全保護作業）"),
        ("說明", "{{ review.explanation }}"),
        ("查核人員", "{{ review.reviewer }}"),
        ("查核日期", "{{ review.reviewed_on }}"),
        ("{%tr if related_record %}", ""),
        ("所據附件1", RELATED),
        ("{%tr endif %}", ""),
        ("查核人員簽章", ""),
        ("資料使用單位（機關憑證）", ""),
    ], widths=(4.0, 21.3))
    signature_cell(review.rows[-2].cells[1], "reviewer")
    signature_cell(review.rows[-1].cells[1], "unit")
    review.rows[-2].height = Cm(2.2)
    review.rows[-1].height = Cm(2.2)
    keep_together(review)
    paragraph(doc, "保存期限：查核結果（報告）應留存1年備供查核；查核結果若有缺漏，應請查調者說明"
                   "（使用商工資料資通安全管理規範 六(四)2）。", size=9, space_before=4)
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
    stamp_room(doc)
    page_number_footer(doc)
    slim(doc)
    doc.save(OUT / "disposition-certificate.docx")


def build_purge_record() -> None:
    doc = new_document(body_pt=12)
    paragraph(doc, "{{ title }}", size=18, bold=True, align="center", space_after=10)
    paragraph(doc, "依使用商工資料資通安全管理規範六(一)2(4)，如已無使用需求，應即函文向資料提供機關申請終止該連線"
                   "作業，並應於一個月內清除介接所得之商工資料。本案清除情形記載如下。", first_line_cm=0.85,
              space_after=6)
    no_split(label_value_table(doc, [
        ("申請介接單位", "{{ applicant.name }}" + CODE.format(a="applicant")),
        ("資料使用單位", "{{ user_unit.name }}" + CODE.format(a="user_unit")),
        ("系統名稱", "{{ system_name }}"),
        ("所據附件1（終止）", RELATED),
        ("終止日期", "{{ terminated_on }}"),
        ("應完成清除日期", "{{ due_on }}"),
        ("清除之資料", "{{ data }}"),
    ]))
    paragraph(doc, "存放處所及清除方式", bold=True, space_before=8, space_after=2)
    grid_table(doc, ["序號", "存放處所", "清除方式", "清除日期"],
               _loop_rows("p", "places", ["{{ p.no }}", "{{ p.place }}", "{{ p.method }}", "{{ p.done_on }}"]),
               [1.4, 6.4, 6.0, 2.8], size=10.5)
    paragraph(doc, "", space_after=4)
    no_split(label_value_table(doc, [
        ("執行人", "{{ performed_by }}"), ("監督（見證）人", "{{ witnessed_by }}"),
        ("完成日期", "{{ completed_on }}"), ("辦理時效", "{{ timeliness }}"), ("備註", "{{ note }}"),
    ]))
    paragraph(doc, "", space_after=6)
    sign_off(doc, [("執行人", "performer"), ("監督（見證）人", "witness"), ("資料使用單位（機關憑證）", "unit")])
    page_number_footer(doc)
    slim(doc)
    doc.save(OUT / "purge-record.docx")


def build_incident_report() -> None:
    doc = new_document(body_pt=12)
    paragraph(doc, "{{ title }}", size=18, bold=True, align="center", space_after=10)
    paragraph(doc, "依使用商工資料資通安全管理規範六(六)4，若發生資料外洩或相關資安事件，應立即通知資料提供機關"
                   "（{{ provider_name }}）。本事件紀錄如下。", first_line_cm=0.85, space_after=6)
    no_split(label_value_table(doc, [
        ("資料使用單位", "{{ user_unit.name }}" + CODE.format(a="user_unit")),
        ("系統名稱", "{{ system_name }}"),
        ("{%tr if related_record %}", ""),
        ("所據附件1", RELATED),
        ("{%tr endif %}", ""),
        ("發現時間", "{{ discovered }}"),
        ("事件等級", "{{ level }}"),
        ("事件經過", "{{ summary }}"),
        ("影響之商工資料", "{{ data_affected }}"),
        ("已採取之措施", "{{ actions }}"),
        ("填報人", "{{ reporter }}"),
    ]))
    paragraph(doc, "", space_after=6)
    sign_off(doc, [("填報人", "reporter"), ("通報單位（機關憑證）", "unit")])
    page_number_footer(doc)
    slim(doc)
    doc.save(OUT / "incident-report.docx")


def build_security_test() -> None:
    doc = new_document(body_pt=12)
    paragraph(doc, "{{ title }}", size=18, bold=True, align="center", space_after=10)
    paragraph(doc, "使用商工資料資通安全管理規範六(一)2(5)：「為保護商工資料傳輸作業資訊，免於詐欺行為、契約爭議及"
                   "未經授權的揭露與修改，機關網路管理人員應定期執行安全檢測作業，如弱點掃描或滲透測試等服務，"
                   "並將其技術脆弱點進行修補且留有紀錄備查，以確保重要資訊之機密性及完整性。」本次檢測紀錄如下。",
              first_line_cm=0.85, space_after=6)
    no_split(label_value_table(doc, [
        ("資料使用單位", "{{ user_unit.name }}" + CODE.format(a="user_unit")),
        ("系統名稱", "{{ system_name }}"),
        ("{%tr if related_record %}", ""),
        ("所據附件1", RELATED),
        ("{%tr endif %}", ""),
        ("檢測類別", "{{ kind }}"),
        ("檢測日期", "{{ tested_on }}"),
        ("檢測範圍", "{{ scope }}"),
        ("檢測工具或廠商", "{{ tester }}"),
        ("檢測結果", "{{ summary }}"),
        ("完整報告", "{{ report }}"),
        ("執行人", "{{ performed_by }}"),
    ]))
    paragraph(doc, "{%p if findings %}")
    paragraph(doc, "脆弱點及修補", bold=True, space_before=8, space_after=2)
    grid_table(
        doc, ["項次", "發現之脆弱點（風險等級）", "修補措施", "修補完成日期"],
        _loop_rows("f", "findings", ["{{ f.no }}", "{{ f.issue }}（風險：{{ f.severity }}）", "{{ f.fix }}",
                                     "{{ f.fixed_on }}"]),
        [1.2, 6.9, 5.0, 3.5],
    )
    paragraph(doc, "{%p endif %}")
    paragraph(doc, "", space_after=6)
    sign_off(doc, [("執行人", "performer"), ("資料使用單位（機關憑證）", "unit")])
    page_number_footer(doc)
    slim(doc)
    doc.save(OUT / "security-test.docx")


BUILDERS = {
    "disposition-certificate": build_disposition_certificate,
    "annex1-interface": lambda: build_annex1("annex1-interface", "商工e網通異動資料介接申請單", copy=False),
    "annex1-copy": lambda: build_annex1("annex1-copy", "商工e網通資料複製申請單", copy=True),
    "annex2-agreement": build_annex2_agreement,
    "annex3-requirements": build_annex3_requirements,
    "annex4-audit-checklist": build_annex4_audit_checklist,
    "annex5-query-log": build_annex5_query_log,
    "purge-record": build_purge_record,
    "incident-report": build_incident_report,
    "security-test": build_security_test,
}

if __name__ == "__main__":
    # python templates/src/build_templates.py [NAME ...]: the named templates (all without names).
    for name in sys.argv[1:] or list(BUILDERS):
        BUILDERS[name]()
    print("templates written to", OUT)
