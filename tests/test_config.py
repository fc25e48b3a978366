import re

import pytest

from livescreen.config import load_config, validate_config
from livescreen.errors import ConfigError
from tests.conftest import ROOT


def test_shipped_config_is_valid_and_gets_defaults(raw_config):
    config = validate_config(raw_config)
    assert config["source"] in {"pubmed", "snapshot"}
    assert config["batch_size"] >= 1
    assert len(config["keywords"]) >= 9
    assert "comparative_trials" in [k["slug"] for k in config["keywords"]]


def test_overrides_apply_like_snakemake_config(tmp_path):
    config = load_config(ROOT / "config.yaml", {"source": "snapshot"})
    assert config["source"] == "snapshot"


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda c: c.update(sorce="snapshot"), "unknown key ('sorce' was unexpected)"),
        (lambda c: c["keywords"][1].update(slug="Trauma-Beliefs"), "keywords[1].slug"),
        (lambda c: c["keywords"][2].update(query="   "), "keywords[2].query: must not be empty"),
        (lambda c: c["keywords"][0].update(extra=1), "keywords[0]: unknown key"),
        (lambda c: c.update(source="scopus"), "source: 'scopus' is not one of"),
        (lambda c: c.update(batch_size=0), "batch_size"),
        (lambda c: c.update(mdma_terms=""), "mdma_terms: must not be empty"),
        (lambda c: c.pop("keywords"), "'keywords' is a required property"),
    ],
)
def test_config_errors_name_the_key(raw_config, change, named):
    change(raw_config)
    with pytest.raises(ConfigError) as error:
        validate_config(raw_config)
    assert named in str(error.value)


def test_duplicate_slugs_are_rejected(raw_config):
    raw_config["keywords"].append(dict(raw_config["keywords"][0]))
    with pytest.raises(ConfigError, match="used more than once: engagement_avoidance"):
        validate_config(raw_config)


def test_invalid_yaml_names_the_file(tmp_path):
    bad = tmp_path / "config.yaml"
    bad.write_text("keywords: [\n")
    with pytest.raises(ConfigError, match="config.yaml is not valid YAML"):
        load_config(bad)


def test_nested_defaults_are_filled(raw_config):
    del raw_config["registry"]["page_size"]
    raw_config.pop("essay_title_match")
    config = validate_config(raw_config)
    assert config["registry"]["page_size"] == 100
    assert config["essay_title_match"] == {"match": 93, "possible": 80}


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "mdma_terms",
            "MDMA[tiab]) OR (PTSD[tiab]",
            "mdma_terms: ')' at character 11 closes nothing",
        ),
        ("ptsd_terms", "(PTSD[tiab] OR trauma[tiab]", "ptsd_terms: 1 '(' not closed"),
        ("ptsd_terms", '"stress disorder[tiab]', "ptsd_terms: a quoted phrase is not closed"),
    ],
)
def test_each_query_block_must_balance_on_its_own(raw_config, key, value, message):
    raw_config[key] = value
    with pytest.raises(ConfigError, match=re.escape(message)):
        validate_config(raw_config)


def test_a_keyword_query_that_does_not_balance_names_its_key(raw_config):
    raw_config["keywords"][3]["query"] = "fear[tiab]) OR (extinction[tiab]"
    with pytest.raises(ConfigError, match=re.escape("keywords[3].query: ')' at character 11")):
        validate_config(raw_config)


def test_parentheses_inside_quoted_phrases_do_not_count(raw_config):
    raw_config["keywords"][0]["query"] = '"avoidance (behavior)"[tiab] OR engagement[tiab]'
    validate_config(raw_config)


def test_a_slug_with_a_trailing_newline_is_refused(raw_config):
    raw_config["keywords"][2]["slug"] = "alliance_empathy\n"
    with pytest.raises(ConfigError, match=re.escape("keywords[2].slug: 'alliance_empathy\\n'")):
        validate_config(raw_config)
