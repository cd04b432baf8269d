"""What a command on the service's own machine asks of a running ``serve``: ``render`` on the warm
workers instead of starting LibreOffice itself.

Answered only over the Unix socket gunicorn listens on in the data directory (``serve.sock``).  The
directory is the service user's alone (0700), so whoever can connect can already read the keys and
the catalog: the caller is the local operator, as ``render`` without a server is.  Over TCP these
routes do not exist (404), whatever the credentials.  Nothing is archived, as with ``render``.
"""

from __future__ import annotations

import socket

from flask import Blueprint, Response, request

from ..access import LOCAL_OPERATOR
from ..archive.related import check_related
from ..errors import NotFound
from ..forms import get_form
from ..taiwan import TAIPEI
from .body import json_body
from .context import components

bp = Blueprint("local", __name__)


@bp.before_request
def only_over_the_local_socket() -> None:
    connection = request.environ.get("gunicorn.socket")
    if connection is None or connection.family != socket.AF_UNIX:
        raise NotFound("no such page")


@bp.post("/render/<form_id>")
def render(form_id: str) -> Response:
    """The signed PDF/A of ``form_id`` filled from the JSON body (a ``render`` for the CLI)."""
    spec = get_form(form_id)
    service = components()
    producer = service.producer
    spec, form = producer.validate(spec.form_id, json_body())
    if service.catalog is not None:
        # the operator of this data directory
        check_related(service.catalog, spec, form, actor=LOCAL_OPERATOR,
                      today=service.clock.now().astimezone(TAIPEI).date())
    produced = service.filing.produce(LOCAL_OPERATOR, spec, form, caller="local")  # the agency's key
    return Response(produced.pdf, mimetype="application/pdf", headers={
        "X-Pages": str(produced.pages), "X-Content-SHA256": produced.sha256,
    })


__all__ = ["bp"]
