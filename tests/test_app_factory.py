"""What making an app costs, kept small without changing what it does: ``LazilyBuiltRule``
(``web/routing.py``) builds every route's URL as werkzeug's own rule does — with each argument's
value, with unknown arguments (the query string), the first time and after — and the pages'
templates are compiled once per process, again only when their source changes."""

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


def test_a_second_app_renders_the_pages_from_the_templates_the_first_compiled(app, fake_components, monkeypatch):
    from jinja2 import Environment

    from forms_service.web import create_app

    compiled = []
    real = Environment._compile
    monkeypatch.setattr(Environment, "_compile", lambda env, source, filename: compiled.append(filename)
                        or real(env, source, filename))
    first = app.test_client().get("/login")
    second = create_app(fake_components.settings, components=fake_components, test_config={"TESTING": True})
    compiled.clear()
    again = second.test_client().get("/login")
    assert again.status_code == first.status_code == 200 and "登入" in again.data.decode()
    assert compiled == []  # rendered from what the first app compiled



def test_a_template_whose_source_changed_is_compiled_again():
    from jinja2 import DictLoader, Environment

    from forms_service.web import _CompiledOnce

    compiled_once = _CompiledOnce()
    sources = {"page.html": "{{ 1 + 1 }}"}

    def rendered() -> str:
        return Environment(loader=DictLoader(sources), bytecode_cache=compiled_once).get_template("page.html").render()

    assert rendered() == "2"
    sources["page.html"] = "{{ 2 + 2 }}"
    assert rendered() == "4"
