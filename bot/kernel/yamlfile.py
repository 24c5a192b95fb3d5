"""Read YAML with libyaml's C parser when PyYAML has it: the data files are read at every start.

A mapping that names one key twice is refused (plain YAML keeps the last one silently, which once dropped a
list of cues from ``nlu/data/aspects.yml`` without a word).
"""

from __future__ import annotations

from typing import Any

import yaml

_BASE: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_PLAIN_BASE: Any = getattr(yaml, "CBaseLoader", yaml.BaseLoader)


def _unique_keys(base: Any) -> Any:
    """``base`` loader refusing a mapping that names one key twice."""

    def construct_mapping(self: Any, node: yaml.MappingNode, deep: bool = False) -> Any:
        seen: set[str] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value != "<<":
                if key_node.value in seen:
                    raise yaml.constructor.ConstructorError(
                        "while reading a mapping",
                        node.start_mark,
                        f"duplicate key {key_node.value!r}",
                        key_node.start_mark,
                    )
                seen.add(key_node.value)
        return base.construct_mapping(self, node, deep=deep)

    return type("UniqueKey" + base.__name__, (base,), {"construct_mapping": construct_mapping})


_LOADER: Any = _unique_keys(_BASE)
_PLAIN_LOADER: Any = _unique_keys(_PLAIN_BASE)


def load_yaml(text: str, *, plain: bool = False) -> Any:
    """Parse YAML safely (no arbitrary objects), several times faster with libyaml; errors are yaml.YAMLError,
    a key named twice in one mapping among them.

    ``plain`` reads every scalar as a string (no guessing of numbers, dates or booleans): faster, for files
    whose reader converts what it needs.
    """
    return yaml.load(text, Loader=_PLAIN_LOADER if plain else _LOADER)
