"""Read NLU training data in Rasa's YAML format (version 3.1): intents, synonyms, lookup tables, regexes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.kernel.yamlfile import load_yaml

DATA_DIR = Path(__file__).parent / "data"

# Rasa marks entities inline: [430602199001011237](id_number) or [张三]{"entity": "name"}.
_ENTITY_MARKUP = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


class TrainingDataError(Exception):
    """Training data that cannot be used; the message names the file and the problem."""


@dataclass
class TrainingData:
    """Everything the pipeline learns from, in the order Rasa keeps it."""

    examples: list[tuple[str, str]] = field(default_factory=list)  # (text, intent)
    synonyms: dict[str, str] = field(default_factory=dict)  # variant -> canonical
    lookups: dict[str, list[str]] = field(default_factory=dict)
    regexes: dict[str, list[str]] = field(default_factory=dict)

    @property
    def intents(self) -> list[str]:
        return sorted({intent for _, intent in self.examples})


def _items(block: object) -> list[str]:
    if isinstance(block, list):
        return [str(item).strip() for item in block if str(item).strip()]
    if isinstance(block, str):
        return [line.strip()[2:].strip() for line in block.splitlines() if line.strip().startswith("- ")]
    return []


def strip_entity_markup(text: str) -> str:
    """Turn ``[张三](name)`` back into plain ``张三``."""
    return _ENTITY_MARKUP.sub(r"\1", text)


def parse_training_data(text: str, source: str = "<string>") -> TrainingData:
    """Parse the text of a Rasa NLU YAML file."""
    try:
        raw = load_yaml(text) or {}
    except yaml.YAMLError as exc:
        raise TrainingDataError(f"{source}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("nlu"), list):
        raise TrainingDataError(f"{source}: expected a top-level 'nlu:' list")
    data = TrainingData()
    for n, entry in enumerate(raw["nlu"], 1):
        if not isinstance(entry, dict):
            raise TrainingDataError(f"{source}: nlu item {n} is not a mapping")
        examples = _items(entry.get("examples"))
        if "intent" in entry:
            data.examples.extend((strip_entity_markup(t), str(entry["intent"])) for t in examples)
        elif "synonym" in entry:
            for variant in examples:
                data.synonyms[variant] = str(entry["synonym"])
        elif "lookup" in entry:
            data.lookups.setdefault(str(entry["lookup"]), []).extend(examples)
        elif "regex" in entry:
            data.regexes.setdefault(str(entry["regex"]), []).extend(examples)
        else:
            raise TrainingDataError(f"{source}: nlu item {n} has none of intent/synonym/lookup/regex")
    return data


def default_files() -> list[Path]:
    """The packaged training files: every ``nlu*.yml`` in ``nlu/data``, in name order."""
    return sorted(DATA_DIR.glob("nlu*.yml"))


def load_training_data(*paths: Path | str) -> TrainingData:
    """Read and merge Rasa NLU YAML files (default: the packaged ones)."""
    merged = TrainingData()
    for path in [Path(p) for p in paths] or default_files():
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise TrainingDataError(f"{path}: cannot read: {exc.strerror}") from exc
        data = parse_training_data(text, str(path))
        merged.examples += data.examples
        merged.synonyms.update(data.synonyms)
        for name, values in data.lookups.items():
            merged.lookups.setdefault(name, []).extend(values)
        for name, values in data.regexes.items():
            merged.regexes.setdefault(name, []).extend(values)
    return merged
