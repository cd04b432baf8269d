"""DOCX → PDF/A conversion: the ``Converter`` protocol and the warm LibreOffice pool."""

from .protocol import Converter, check_docx
from .pool import LibreOfficePool

__all__ = ["Converter", "LibreOfficePool", "check_docx"]
