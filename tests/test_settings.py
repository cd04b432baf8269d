"""Settings: environment and TOML into one frozen object; bad values name the setting."""

import pytest

from forms_service.errors import ConfigError
from forms_service.settings import Settings


def test_defaults_use_embedded_store_demo_signer_and_sqlite_in_the_data_dir(tmp_path):
    s = Settings.load(environ={"FORMS_DATA_DIR": str(tmp_path)})
    assert s.embedded_store and s.demo_signer
    assert s.catalog_url == f"sqlite:///{tmp_path.resolve() / 'catalog.sqlite3'}"
    assert s.provider_name == "經濟部商業發展署"


def test_environment_overrides_the_toml_file(tmp_path):
    config = tmp_path / "forms.toml"
    config.write_text('provider_name = "經濟部商業發展署"\nconverter_workers = 3\n', encoding="utf-8")
    s = Settings.load(environ={"FORMS_CONFIG": str(config), "FORMS_CONVERTER_WORKERS": "1"})
    assert s.provider_name == "經濟部商業發展署"
    assert s.converter_workers == 1


@pytest.mark.parametrize("env,names", [
    ({"FORMS_PORT": "eighty"}, "FORMS_PORT"),
    ({"FORMS_RETENTION_MODE": "LOOSE"}, "FORMS_RETENTION_MODE"),
    ({"FORMS_S3_ENDPOINT": "s3.example:9000"}, "FORMS_S3_ACCESS_KEY"),
    ({"FORMS_S3_SECURE": "perhaps"}, "FORMS_S3_SECURE"),
    ({"FORMS_SIGNER_PKCS12": "/nonexistent.p12"}, "FORMS_SIGNER_PKCS12"),
    ({"FORMS_SMTP_HOST": "mail.example.tw"}, "FORMS_SMTP_FROM"),
    ({"FORMS_SMTP_HOST": "m", "FORMS_SMTP_FROM": "f@x.tw", "FORMS_SMTP_SSL": "true", "FORMS_SMTP_STARTTLS": "true"},
     "FORMS_SMTP_STARTTLS"),
    ({"FORMS_REMINDER_HOUR": "25"}, "FORMS_REMINDER_HOUR"),
    ({"FORMS_QUERY_LOG_REVIEW_DAYS": "0"}, "FORMS_QUERY_LOG_REVIEW_DAYS"),
])
def test_a_bad_setting_fails_with_a_sentence_naming_it(env, names):
    with pytest.raises(ConfigError, match=names):
        Settings.load(environ=env)


def test_an_unknown_key_in_the_toml_file_is_an_error(tmp_path):
    config = tmp_path / "forms.toml"
    config.write_text('provder_name = "x"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="provder_name"):
        Settings.load(environ={"FORMS_CONFIG": str(config)})


def test_settings_are_frozen():
    from dataclasses import FrozenInstanceError

    s = Settings.load(environ={})
    with pytest.raises(FrozenInstanceError):
        s.port = 1  # type: ignore[misc]


def test_the_pages_notice_has_its_blanks_filled_and_a_setting_with_blanks_is_refused():
    assert "○" not in Settings.load(environ={}).notice_text
    with pytest.raises(ConfigError, match="FORMS_NOTICE_TEXT"):
        Settings.load(environ={"FORMS_NOTICE_TEXT": "商工資料係為○○目的蒐集，僅供○○○作業之參考；"
                                                    "若有資料內容疑問時，可向登記主管機關洽詢。"})


def test_instances_sharing_a_database_refuse_identities_made_per_data_directory(tmp_path):
    from forms_service.components import start_components

    shared = Settings.load(environ={"FORMS_DATA_DIR": str(tmp_path),
                                    "FORMS_DATABASE_URL": f"sqlite:///{tmp_path / 'shared.db'}"})
    with pytest.raises(ConfigError) as caught:
        start_components(shared, with_converter=False)
    for name in ("FORMS_SIGNER_PKCS12", "FORMS_SECRET_KEY", "FORMS_TRUST_ROOTS", "FORMS_JOBS_URL"):
        assert name in caught.value.message
    assert Settings.load(environ={"FORMS_DATA_DIR": str(tmp_path)}).shared_deployment_problems() == []
