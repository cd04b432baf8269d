"""``LazilyBuiltRule`` (``web/routing.py``) builds every route's URL as werkzeug's own rule does:
with each argument's value, with unknown arguments (the query string), the first time and after."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.routing import IntegerConverter, Map, Rule

from forms_service.web.routing import LazilyBuiltRule

values = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12)
extras = st.dictionaries(st.sampled_from(["version", "from", "limit", "頁"]), values, max_size=2)


@pytest.fixture
def maps(app) -> tuple[Map, Map]:
    """The app's rules, and the same rules as werkzeug makes them."""
    rules = list(app.url_map.iter_rules())
    assert rules and all(isinstance(r, LazilyBuiltRule) for r in rules)
    stock = Map([Rule(r.rule, endpoint=r.endpoint, methods=r.methods, defaults=r.defaults) for r in rules])
    return app.url_map, stock


@settings(max_examples=20, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_route_builds_the_url_werkzeugs_own_rule_builds(maps, data):
    lazy, stock = maps
    lazy_urls, stock_urls = lazy.bind("forms.example"), stock.bind("forms.example")
    for rule in lazy.iter_rules():
        arguments = {name: data.draw(st.integers(0, 10**6) if isinstance(rule._converters[name], IntegerConverter)
                                     else values) for name in rule.arguments}
        method = sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
        for wanted in (arguments, {**arguments, **data.draw(extras)}, arguments):  # the last: compiled before
            built = lazy_urls.build(rule.endpoint, wanted, method=method)
            assert built == stock_urls.build(rule.endpoint, wanted, method=method), rule.rule


def test_a_rule_compiles_its_builder_only_when_first_asked(app):
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == "api.get_record")
    assert rule._build_unknown.__name__ == rule._build.__name__ == "build_when_first_used"
    assert app.url_map.bind("forms.example").build("api.get_record", {"record_id": "rec_1"}) == "/api/v1/records/rec_1"
    assert rule._build_unknown.__name__ != "build_when_first_used"  # compiled once, kept
    assert rule._build.__name__ == "build_when_first_used"  # the other, never asked for
