"""The JSON API of signing with a card, in two steps (on the ``/api/v1`` blueprint):

    POST /signing-sessions                  the signer's certificate and what he signs (a form, a
                                            draft, or a record whose next block is his) → the bytes
                                            his card signs, the hash algorithm, the expiry
    POST /signing-sessions/<id>/signature   the card's raw signature → the record filed or its next
                                            version (201), or a refusal with a sentence, nothing kept

The caller is the signer himself: signed in, or with his own token.  The PIN never comes here."""

from __future__ import annotations

from typing import Any

from flask import jsonify, url_for
from flask.typing import ResponseReturnValue

from ..errors import InputError
from . import responses
from .api import bp, filed_json
from .auth import require_actor, source_ip
from .body import json_object
from .context import components


@bp.post("/signing-sessions")
def begin_signing_session() -> ResponseReturnValue:
    actor = require_actor()
    body = json_object()
    certificate = _certificate(body.get("certificate"))
    started = components().signing_sessions.begin(
        actor, certificate=certificate, form_id=str(body.get("form") or ""), data=body.get("input"),
        draft_id=str(body.get("draft") or ""), record_id=str(body.get("record") or ""),
        block_id=str(body.get("block") or ""), source_ip=source_ip())
    links = {"signature": url_for("api.complete_signing_session", session_id=started.session.id)}
    return jsonify(responses.SigningSessionAnswer.model_validate({**started.as_dict(), "links": links}).body()), 201


@bp.post("/signing-sessions/<session_id>/signature")
def complete_signing_session(session_id: str) -> ResponseReturnValue:
    actor = require_actor()
    body = json_object()
    signature = body.get("signature")
    if not isinstance(signature, str) or not signature.strip():
        raise InputError("請附上憑證卡回傳的簽章值（signature，Base64 編碼）", details={"field": "signature"})
    filed = components().signing_sessions.complete(actor, session_id, signature, source_ip=source_ip())
    response = jsonify(filed_json(filed))
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_record", record_id=filed.record_id)
    return response


def _certificate(value: Any) -> bytes:
    """The signer's certificate: base64 DER (HiPKI's certb64) or PEM text."""
    import base64
    import binascii

    if not isinstance(value, str) or not value.strip():
        raise InputError("請附上簽章者的憑證（certificate：Base64 或 PEM）", details={"field": "certificate"})
    text = value.strip()
    if text.startswith("-----BEGIN"):
        return text.encode()
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InputError("憑證須為 Base64 編碼的 DER 或 PEM", details={"field": "certificate"}) from None
