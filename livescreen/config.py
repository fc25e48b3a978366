"""Config: read config.yaml, check it against schemas/config.schema.yaml, fill defaults.

The schema is the single statement of what config may hold. Errors name every offending
key by its path (`keywords[2].slug`) so a reviewer can fix config.yaml (or a --config
override) without reading a schema dump; nothing is sent anywhere before this passes.
"""

from __future__ import annotations

import copy
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator

from .errors import ConfigError

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "config.schema.yaml"


def load_schema(path: Path = SCHEMA_PATH) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def validate_config(config: dict, schema: dict | None = None) -> dict:
    """Return config with defaults filled in, or raise ConfigError naming each bad key."""
    schema = schema or load_schema()
    validator = Draft202012Validator(schema)
    problems = sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    if problems:
        lines = [f"- {_key_path(e.absolute_path)}: {_describe(e)}" for e in problems]
        raise ConfigError("config is invalid:\n" + "\n".join(lines))
    slugs = [keyword["slug"] for keyword in config["keywords"]]
    repeated = sorted({slug for slug in slugs if slugs.count(slug) > 1})
    if repeated:
        raise ConfigError(f"keywords: slug(s) used more than once: {', '.join(repeated)}")
    return _with_defaults(config, schema)


def load_config(path: str | Path, overrides: dict | None = None) -> dict:
    """Read a config file, apply overrides (as `--config` does) and validate."""
    try:
        config = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from None
    config.update(overrides or {})
    return validate_config(config)


def keyword_slugs(config: dict) -> list[str]:
    return [keyword["slug"] for keyword in config["keywords"]]


def keyword(config: dict, slug: str) -> dict:
    for entry in config["keywords"]:
        if entry["slug"] == slug:
            return entry
    raise ConfigError(f"keywords: no keyword with slug {slug!r}")


def _with_defaults(config: dict, schema: dict) -> dict:
    """Schema defaults for absent keys, at every level of nested objects."""
    filled = copy.deepcopy(config)
    for key, spec in schema.get("properties", {}).items():
        if key not in filled and "default" in spec:
            filled[key] = copy.deepcopy(spec["default"])
        if isinstance(filled.get(key), dict) and "properties" in spec:
            filled[key] = _with_defaults(filled[key], spec)
    return filled


def _key_path(path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _describe(error) -> str:
    if error.validator == "additionalProperties":
        return f"unknown key ({error.message.split('(')[-1].rstrip(')')})"
    if error.validator == "pattern" and error.schema.get("pattern") == "\\S":
        return "must not be empty"
    return error.message
