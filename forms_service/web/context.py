"""The one accessor for the running service's components inside a request (as flaskr's ``get_db``).

``catalog()`` is a shorthand: the web app always runs with a store and a catalog."""

from __future__ import annotations

from flask import current_app

from ..components import Components
from ..repositories import Catalog


def components() -> Components:
    found: Components = current_app.extensions["forms"]
    return found


def catalog() -> Catalog:
    return components().require_archive()[1]
