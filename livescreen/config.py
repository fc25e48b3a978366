"""Config: read config.yaml, check it against the schema (livescreen/data/config.schema.yaml,
package data), fill defaults.

The schema is the single statement of what config may hold. Errors name every offending
key by its path (`keywords[2].slug`) so a reviewer can fix config.yaml (or a --config
override) without reading a schema dump; nothing is sent anywhere before this passes.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator

from livescreen.errors import ConfigError

SCHEMA_PATH = Path(__file__).resolve().parent / "data" / "config.schema.yaml"


# libyaml's parser where PyYAML was built with it: the same safe types, ~10x faster (the
# schema and the shipped config are read by every job that classifies)
FAST_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_schema(path: Path = SCHEMA_PATH) -> dict:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=FAST_SAFE_LOADER)


def validate_config(config: dict, schema: dict | None = None) -> dict:
    """Return config with defaults filled in, or raise ConfigError naming each bad key."""
    schema = schema or load_schema()
    config = _dates_as_text(config)
    validator = Draft202012Validator(schema)
    problems = sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    if problems:
        lines = [f"- {_key_path(e.absolute_path)}: {_describe(e)}" for e in problems]
        raise ConfigError("config is invalid:\n" + "\n".join(lines))
    problems = [*_slug_problems(config), *_reviewer_problems(config), *_query_problems(config)]
    problems += _import_problems(config)
    if problems:
        raise ConfigError("config is invalid:\n" + "\n".join(f"- {p}" for p in problems))
    slugs = [keyword["slug"] for keyword in config["keywords"]]
    repeated = sorted({slug for slug in slugs if slugs.count(slug) > 1})
    if repeated:
        raise ConfigError(f"keywords: slug(s) used more than once: {', '.join(repeated)}")
    return _with_defaults(config, schema)


IMPORTS_FOLDER = "imports"


def _dates_as_text(config: dict) -> dict:
    """`searched: 2024-05-01` written without quotes is a date to YAML: read it as its text."""
    entries = config.get("imports")
    if not isinstance(entries, list):
        return config
    fixed = [
        {**e, "searched": e["searched"].isoformat()}
        if isinstance(e, dict) and hasattr(e.get("searched"), "isoformat")
        else e
        for e in entries
    ]
    return {**config, "imports": fixed}


def _import_problems(config: dict) -> list[str]:
    """Each export's files lie under imports/ (never results/, which may be deleted), each
    name is used once, and `columns` belongs to CSV exports."""
    problems, names = [], []
    for i, entry in enumerate(config.get("imports") or []):
        if entry["name"].strip() in names:
            problems.append(f"imports[{i}].name: {entry['name']!r} is used by another import")
        names.append(entry["name"].strip())
        for j, pattern in enumerate(entry["files"]):
            parts = Path(pattern.replace("\\", "/")).parts
            if Path(pattern).is_absolute() or ".." in parts or parts[:1] != (IMPORTS_FOLDER,):
                problems.append(
                    f"imports[{i}].files[{j}]: {pattern!r} must be a path under "
                    f"{IMPORTS_FOLDER}/ (relative to the project, outside results/)"
                )
        if entry.get("columns") and entry.get("format", "csv") != "csv":
            problems.append(f"imports[{i}].columns: only a csv export has columns")
    return problems


SLUG = re.compile(r"[a-z0-9_]+")
REVIEWER = re.compile(r"[A-Za-z0-9_.-]+")


def _reviewer_problems(config: dict) -> list[str]:
    """Reviewer names name folders: the whole name must match."""
    return [
        f"reviewers[{i}]: {name!r} must be letters, digits, '.', '_' or '-' only"
        for i, name in enumerate(config.get("reviewers") or [])
        if not REVIEWER.fullmatch(name)
    ]


def _slug_problems(config: dict) -> list[str]:
    """Slugs name files: the whole slug must match (the schema's `$` would let a trailing
    newline through, which then fails later as a missing file)."""
    return [
        f"keywords[{i}].slug: {entry['slug']!r} must be lowercase letters, digits and _ only"
        for i, entry in enumerate(config["keywords"])
        if not SLUG.fullmatch(entry["slug"])
    ]


def _query_problems(config: dict) -> list[str]:
    """Each query block must balance on its own: wrapping blocks in parentheses would
    otherwise balance `MDMA[tiab]) OR (PTSD[tiab]` and make every search return everything."""
    blocks = [("mdma_terms", config["mdma_terms"]), ("ptsd_terms", config["ptsd_terms"])]
    blocks += [(f"keywords[{i}].query", k["query"]) for i, k in enumerate(config["keywords"])]
    return [f"{key}: {problem}" for key, text in blocks if (problem := unbalanced(text))]


def unbalanced(query: str) -> str | None:
    """Why `query` does not balance on its own (parentheses outside quoted phrases, and
    the quotes themselves), or None."""
    depth, quoted = 0, False
    for position, char in enumerate(query, start=1):
        if char == '"':
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
            if depth < 0:
                return f"')' at character {position} closes nothing"
    if quoted:
        return "a quoted phrase is not closed"
    if depth:
        return f"{depth} '(' not closed"
    return None


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
