"""DOCX → PDF/A conversion: the ``Converter`` protocol and the warm LibreOffice pool."""

from .pool import LibreOfficePool
from .protocol import Converter, check_docx

__all__ = ["Converter", "LibreOfficePool", "check_docx"]
