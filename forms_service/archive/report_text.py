"""Verification reports as readable text (for the CLI and ``?format=text``)."""

from __future__ import annotations


def verification_text(report: dict) -> str:
    lines = []
    head = "VALID" if report["ok"] else "NOT VALID"
    where = f"record {report['record_id']} version {report['version']}: " if report.get("record_id") else ""
    lines.append(f"{where}{head}")
    for number, sig in enumerate(report["signatures"], 1):
        where = f" ({sig['block']})" if sig.get("block") else ""
        lines.append(f"  {number}. {sig['kind']} {sig['field']}{where}: {'ok' if sig['ok'] else 'FAILED'}")
        lines.append(f"     signer:        {sig['signer']}")
        if sig.get("signing_time"):
            lines.append(f"     signing time:  {sig['signing_time']}")
        if sig.get("timestamp"):
            lines.append(f"     timestamp:     {sig['timestamp']}")
        if sig.get("level"):
            lines.append(f"     level:         PAdES {sig['level']}")
        checks = " / ".join(_yn(sig[k]) for k in ("intact", "valid", "trusted"))
        lines.append(f"     intact / valid / trusted: {checks}")
        lines.append(f"     revocation:    {sig['revocation']}")
        lines.append(f"     modifications: {sig['modification_level']}   coverage: {sig['coverage']}")
        if sig.get("problem"):
            lines.append(f"     problem:       {sig['problem']}")
    for problem in report["problems"]:
        lines.append(f"  problem: {problem}")
    return "\n".join(lines) + "\n"


def _yn(value: bool) -> str:
    return "yes" if value else "NO"
