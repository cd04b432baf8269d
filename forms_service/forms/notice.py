"""The notice of 規範 六(五) with its blanks filled: what a business system using 商工資料 shows.

The regulation recommends (建議標註) 「商工資料係為○○目的蒐集，僅供○○○作業之參考；若有資料內容疑問時，
可向登記主管機關洽詢。」; a printed form fills the blanks from its purpose and system, never with ○.
"""

from __future__ import annotations


def notice_text(purpose: str, use: str) -> str:
    """The notice for ``purpose`` and the work (``use``) it serves — no doubled 目的 or 作業."""
    purpose = purpose.strip().removesuffix("目的")
    use = use.strip().removesuffix("作業")
    return f"商工資料係為{purpose}目的蒐集，僅供{use}作業之參考；若有資料內容疑問時，可向登記主管機關洽詢。"
