"""Where each form's .docx template comes from: the agency's directory or the packaged one.

``FORMS_TEMPLATE_DIR`` may hold ``<form_id>.docx`` files made in Word; a form without one there
uses the template shipped in ``templates/``.  Templates are read once and kept in memory.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path

from ..errors import ConfigError
from ..forms import FormSpec


@cache
def packaged_template(name: str) -> bytes:
    return files("forms_service.templates").joinpath(name).read_bytes()


class TemplateSource:
    def __init__(self, directory: Path | None = None):
        if directory is not None and not directory.is_dir():
            raise ConfigError(f"FORMS_TEMPLATE_DIR: {directory} is not a directory")
        self.directory = directory
        self._cache: dict[str, bytes] = {}

    def custom_path(self, spec: FormSpec) -> Path | None:
        if self.directory is None:
            return None
        path = self.directory / f"{spec.form_id}.docx"
        return path if path.is_file() else None

    def load(self, spec: FormSpec) -> bytes:
        if spec.form_id not in self._cache:
            path = self.custom_path(spec)
            self._cache[spec.form_id] = path.read_bytes() if path else packaged_template(spec.template)
        return self._cache[spec.form_id]
