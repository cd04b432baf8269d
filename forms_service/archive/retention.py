"""Retention schedules: how long each version is locked in the store (Object Lock) and why.

- 附件1–3 (申請單, 約定書, 作業要求): until the end of their 使用期限, plus
  ``FORMS_RETENTION_YEARS_AFTER_PERIOD``;
- 附件4–5 (查核紀錄, 查詢紀錄): from their audit date or month, plus ``FORMS_RETENTION_YEARS_LOGS``
  (規範 六(四)2(1): at least a year);
- never less than a year from storing; a later version keeps at least its predecessor's date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from storage import Retention

from ..catalog import Version
from ..clock import add_years
from ..forms import FormSpec
from ..forms.types import FormModel


@dataclass(frozen=True)
class RetentionPolicy:
    mode: str  # Object Lock mode: COMPLIANCE in production, GOVERNANCE with the embedded demo store
    years_after_period: int = 1
    years_logs: int = 1

    def for_new_record(self, spec: FormSpec, form: FormModel, now: datetime) -> Retention:
        return Retention(self.mode, self.retain_until(spec, form, now))  # type: ignore[arg-type]

    def retain_until(self, spec: FormSpec, form: FormModel, now: datetime) -> datetime:
        years = self.years_logs if spec.retention_class == "log" else self.years_after_period
        until = max(add_years(spec.retain_from(form), years), add_years(now.date(), 1))
        return datetime(until.year, until.month, until.day, tzinfo=timezone.utc) + timedelta(days=1)

    def for_next_version(self, latest: Version, now: datetime) -> Retention:
        """A new version (countersigned, renewed) is kept at least as long as the one before."""
        if latest.retain_until is not None:
            until = max(latest.retain_until, now + timedelta(days=1))
        else:
            until = now + timedelta(days=366)
        return Retention(latest.retention_mode or self.mode, until)  # type: ignore[arg-type]

