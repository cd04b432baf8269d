"""Making a signed PDF from a form's JSON: validate → render (docxtpl) → convert (PDF/A) → sign.

``Producer`` runs the steps; ``DocumentSigner`` signs with one key and checks the signature;
``templates``, ``glyphs``, ``chunked``, ``assembly`` and ``template_check`` serve the rendering.

The names below are imported when first asked for: the PDF worker process
(``pdf_worker``) imports this package and needs none of them (pyHanko, docxtpl — ~40 MB).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .producer import Produced, Producer, validate_input
    from .signer import DocumentSigner, SignedPdf

_WHERE = {"Produced": "producer", "Producer": "producer", "validate_input": "producer",
          "DocumentSigner": "signer", "SignedPdf": "signer"}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)


__all__ = ["DocumentSigner", "Produced", "Producer", "SignedPdf", "validate_input"]
