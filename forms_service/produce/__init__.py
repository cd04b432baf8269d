"""Making a signed PDF from a form's JSON: validate → render (docxtpl) → convert (PDF/A) → sign.

``Producer`` runs the steps; ``DocumentSigner`` signs with one key and checks the signature;
``templates``, ``glyphs``, ``chunked`` and ``template_check`` serve the rendering.
"""

from .producer import Produced, Producer, validate_input
from .signer import DocumentSigner, SignedPdf

__all__ = ["DocumentSigner", "Produced", "Producer", "SignedPdf", "validate_input"]
