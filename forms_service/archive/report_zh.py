"""A verification report as people read it, in Traditional Chinese: for each signature who signed,
when (民國, Taipei time), in which block, the timestamp, and each thing that was checked — the
document not altered since, the signature itself, the certificate's chain to a trusted root, its
revocation status, and what changed after it — each as a sentence, never pyHanko's English."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..taiwan import TAIPEI, roc_year

CHANGES = {
    "NONE": "簽章後文件未再修改",
    "LTA_UPDATES": "簽章後僅加入長期驗證資料及時戳",
    "FORM_FILLING": "簽章後僅有後續簽章（依簽章順序）",
    "NOT_ANALYSED": "未分析簽章後的修改",
}
COVERAGE = {"ENTIRE_FILE": "涵蓋整份文件", "ENTIRE_REVISION": "涵蓋簽章時的文件版本（其後僅有允許的增補）"}


@dataclass(frozen=True)
class Check:
    label: str
    ok: bool
    text: str


@dataclass(frozen=True)
class SignatureLine:
    """One signature (or document timestamp) of a version, as the verification page lists it."""

    kind: str  # 簽章 or 文件時戳
    block: str
    signer: str
    signed_at: str
    timestamp: str
    level: str
    ok: bool
    checks: list[Check]


def roc_datetime(value: str | datetime | None) -> str:
    """115/12/06 14:05:09 (Taipei) from an ISO time; "" for none."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    local = moment.astimezone(TAIPEI)
    return f"{roc_year(local.date())}/{local.month:02d}/{local.day:02d} {local:%H:%M:%S}"


def signer_name(subject: str) -> str:
    """The common name of a certificate subject ("Common Name: 王小明, …"), else the subject."""
    for part in subject.split(", "):
        key, _, value = part.partition(": ")
        if key == "Common Name":
            return value
    return subject


SUBJECT_PARTS = {"Common Name": "名稱", "Organization": "機關", "Organizational Unit": "單位", "Country": "國家",
                 "Serial Number": "序號", "Locality": "地區", "State/Province": "縣市", "Email Address": "電子郵件"}


def subject_text(subject: str) -> str:
    """A certificate subject as people read it: 名稱：王小明；機關：…；序號：… (keys in Chinese)."""
    parts = []
    for part in subject.split(", "):
        key, sep, value = part.partition(": ")
        parts.append(f"{SUBJECT_PARTS.get(key, key)}：{value}" if sep else part)
    return "；".join(parts)


def revocation_text(text: str) -> str:
    if text.startswith("hard-fail with embedded data"):
        return "以文件內嵌之撤銷資料，依時戳時點確認憑證當時未被廢止"
    if text.endswith("checked now"):
        return "已即時查詢憑證撤銷狀態"
    return "未強制查驗撤銷狀態（文件時戳依其時戳憑證驗證）"


def signature_lines(report: dict[str, Any]) -> list[SignatureLine]:
    """The report's signatures (``RecordVerification.as_dict()``) as lines for people."""
    lines = []
    for sig in report.get("signatures", []):
        change = sig.get("modification_level", "")
        checks = [
            Check("文件完整", bool(sig.get("intact")),
                  "自簽章後內容未遭竄改" if sig.get("intact") else "簽章後內容遭到變更"),
            Check("簽章值", bool(sig.get("valid")), "簽章值正確" if sig.get("valid") else "簽章值不正確"),
            Check("憑證信任", bool(sig.get("trusted")),
                  "憑證可鏈結至信任的根憑證" if sig.get("trusted") else "憑證無法鏈結至信任的根憑證"),
            Check("撤銷狀態", bool(sig.get("trusted")), revocation_text(sig.get("revocation", ""))),
            Check("其後修改", change in CHANGES, CHANGES.get(change, "簽章後有不允許的修改")),
            Check("涵蓋範圍", sig.get("coverage") in COVERAGE, COVERAGE.get(sig.get("coverage", ""), "未涵蓋整份文件")),
        ]
        lines.append(SignatureLine(
            kind="簽章" if sig.get("kind") == "signature" else "文件時戳",
            block=sig.get("block", ""), signer=signer_name(sig.get("signer", "")),
            signed_at=roc_datetime(sig.get("signing_time")), timestamp=roc_datetime(sig.get("timestamp")),
            level=sig.get("level", ""), ok=bool(sig.get("ok")), checks=checks))
    return lines
