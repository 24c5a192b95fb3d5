"""The ledger's vocabulary, read from ``data/columns.yaml``: header variants, yes/no words, totals rows."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ledger.cells import fold

VOCABULARY_FILE = Path(__file__).parent / "data" / "columns.yaml"

# field -> (Chinese header, English header): the CONTRACTS table, and the names used in messages.
COLUMNS: dict[str, tuple[str, str]] = {
    "name": ("姓名", "name"),
    "id_number": ("身份证号", "id_number"),
    "phone": ("手机号", "phone"),
    "posts": ("岗位", "posts"),
    "employer": ("在岗单位", "employer"),
    "registered": ("报名", "registered"),
    "confirmed": ("资格确认", "confirmed"),
    "paid": ("缴费", "paid"),
    "online_hours": ("线上学时", "online_hours"),
    "offline_hours": ("线下学时", "offline_hours"),
    "audited": ("审核", "audited"),
}
# A file must name the trainee; every other column may be absent (then what is stored stays).
REQUIRED = ("name", "id_number")
FLAGS = ("registered", "confirmed", "paid", "audited")

_MARKS = re.compile(r"^[*※★]+|[:：*]+$")
_UNIT = re.compile(r"\([^()]*\)$")
_BLANKS = re.compile(r"\s+")


def header_key(header: object) -> str:
    """The form a header is matched in: folded, no blanks, no required-marks, case-folded."""
    text = _BLANKS.sub("", fold(str(header or "")))
    return _MARKS.sub("", text).casefold()


@dataclass(frozen=True)
class Vocabulary:
    """Header variants per field, the words read as yes and as no, and what starts a totals row."""

    headers: Mapping[str, str]
    yes: frozenset[str]
    no: frozenset[str]
    totals: tuple[str, ...]

    def field(self, header: object) -> str | None:
        """The field a header names, or None; a trailing unit in brackets is ignored (线上学时(学时))."""
        key = header_key(header)
        found = self.headers.get(key)
        if found is None and key.endswith(")"):
            found = self.headers.get(_UNIT.sub("", key))
        return found

    def map_headers(self, headers: Iterable[object]) -> dict[str, int]:
        """Map fields to column positions (the first column naming a field wins)."""
        found: dict[str, int] = {}
        for position, header in enumerate(headers):
            field = self.field(header)
            if field is not None and field not in found:
                found[field] = position
        return found


def _words(values: Iterable[object]) -> frozenset[str]:
    return frozenset(header_key(v) for v in values)


@functools.cache
def vocabulary(path: Path = VOCABULARY_FILE) -> Vocabulary:
    """Load the vocabulary file (once per process)."""
    import yaml

    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    headers: dict[str, str] = {}
    for field, variants in data["headers"].items():
        if field not in COLUMNS:
            raise ValueError(f"{path.name}: unknown field {field!r} under headers")
        for variant in variants:
            headers.setdefault(header_key(variant), field)
    yes, no = _words(data["yes"]), _words(data["no"])
    if yes & no:
        raise ValueError(f"{path.name}: words both yes and no: {sorted(yes & no)}")
    return Vocabulary(headers, yes, no, tuple(fold(str(t)) for t in data["totals"]))


def missing_columns(found: Mapping[str, int]) -> list[str]:
    """Name the required columns (Chinese/English) absent from a header mapping."""
    return [f"{COLUMNS[f][0]}/{COLUMNS[f][1]}" for f in REQUIRED if f not in found]
