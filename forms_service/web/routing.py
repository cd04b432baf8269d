"""URL rules whose URL builders are compiled when first used, not when the app is made.

werkzeug compiles two Python functions per rule as it is added (to build the rule's URL, with and
without unknown arguments): 36 of the 38 ms ``create_app`` takes for its 113 rules.  A process
builds the URLs of a few rules only, and the tests make an app per test (~220 in the unit suite).
``LazilyBuiltRule`` compiles a builder at its first ``url_for`` and keeps it; matching (the regular
expressions) is untouched.  Set on the app as Flask's documented ``url_rule_class``.

It overrides werkzeug's ``Rule._compile_builder`` (werkzeug 3.1, pinned ``<3.2``): should a later
version stop calling it, rules are built as werkzeug builds them; ``tests/test_app_factory.py`` checks
every route builds the same URL either way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.routing import Rule


class LazilyBuiltRule(Rule):
    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        compile_now = super()._compile_builder
        kept_as = "_build_unknown" if append_unknown else "_build"

        def build_when_first_used(rule: Rule, **values: Any) -> tuple[str, str]:
            compiled = compile_now(append_unknown).__get__(rule, None)
            setattr(rule, kept_as, compiled)  # later calls go straight to it
            built: tuple[str, str] = compiled(**values)
            return built

        return build_when_first_used
