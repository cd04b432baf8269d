"""The ``Converter`` protocol, and the input check every converter runs first."""

from __future__ import annotations

import io
import zipfile
from typing import Protocol, runtime_checkable

from ..errors import InputError


@runtime_checkable
class Converter(Protocol):
    """Turns a .docx into a PDF/A-2b document.

    Contract (``tests/contract/test_converter.py``): the output is PDF/A-2b with every font
    embedded; input that is not a Word document raises ``InputError`` before any work is done;
    a conversion that fails or exceeds its time limit raises ``ConversionFailed`` and leaves the
    converter usable for the next document.
    """

    def convert(self, docx: bytes, *, tagged: bool = True, caller: str = "") -> bytes:
        """PDF/A-2b bytes; ``tagged`` adds the structure tree (accessibility) — parts of a
        document that will be merged skip it, since merging drops it anyway.  ``caller`` names
        whose work this is: callers take turns, so one caller's many conversions cannot starve
        another's."""

    def close(self) -> None: ...


def check_docx(data: bytes) -> None:
    """Refuse what is not a .docx: LibreOffice would 'convert' garbage to an empty PDF, exit 0."""
    if not data.startswith(b"PK"):
        raise InputError("the input is not a Word (.docx) document: it is not a zip archive")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
    except zipfile.BadZipFile as err:
        raise InputError("the input is not a Word (.docx) document: the zip archive is damaged") from err
    if "word/document.xml" not in names:
        raise InputError("the input is not a Word (.docx) document: word/document.xml is missing")
