"""Database errors become ``CatalogUnavailable`` with a sentence — for every public method.

``@translating_database_errors`` wraps each public method of a class; each must say what it does
with ``@does("read the record")``, or the class is refused when it is defined.  So no method can
forget the translation (a database outage is a 503 with "cannot read the record: …", never a 500
with a SQLAlchemy traceback).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.exc import SQLAlchemyError

from ..errors import ServiceUnavailable

C = TypeVar("C", bound=type)
F = TypeVar("F", bound=Callable[..., Any])


class CatalogUnavailable(ServiceUnavailable):
    """The catalog database failed or cannot be reached."""

    code = "catalog_unavailable"


def does(action: str) -> Callable[[F], F]:
    """Name what a catalog method does, for its error sentence ("cannot {action}: …")."""

    def mark(method: F) -> F:
        method.__catalog_action__ = action  # type: ignore[attr-defined]
        return method

    return mark


def translating_database_errors(cls: C) -> C:
    for name, member in list(vars(cls).items()):
        if name.startswith("_") or not inspect.isfunction(member):
            continue
        action = getattr(member, "__catalog_action__", None)
        if action is None:
            raise TypeError(f"{cls.__name__}.{name} has no @does(…): every public catalog method translates errors")
        setattr(cls, name, _translated(member, action))
    return cls


def _translated(method: F, action: str) -> F:
    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except SQLAlchemyError as err:
            reason = str(getattr(err, "orig", None) or type(err).__name__).splitlines()[0]
            raise CatalogUnavailable(f"cannot {action}: the catalog database failed ({reason})") from err

    call.__catalog_translated__ = True  # type: ignore[attr-defined]
    return call  # type: ignore[return-value]
