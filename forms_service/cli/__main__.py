"""``python -m forms_service.cli``: the same as the ``forms-service`` command."""

from . import main

main()
