"""Plan an import against what is stored: which valid rows are inserted, which update a trainee, which are
unchanged; hours that go down, suspected duplicates and unknown masked IDs go to the report.

A ``Planner`` takes the rows a chunk at a time and remembers what it saw (the names and phones of the rows
before), so a first import can write each chunk while the next one is validated; the report counts across
all chunks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.kernel.personal_data import mask_phone
from ledger.accepting import Accepted
from ledger.import_report import ImportReport, SuspectedDuplicate
from ledger.merge import Merged, changed, merge, unchanged
from ledger.reading import LedgerTable
from ledger.validate import RowError


@dataclass
class Plan:
    """Rows to insert (new trainees: see ledger.merge.new_columns), and updates as (trainee id, merged
    values, whether the posts changed)."""

    inserts: list[Accepted] = field(default_factory=list)
    updates: list[tuple[int, Merged, bool]] = field(default_factory=list)


def _masked_unknown(item: Accepted, header: str) -> RowError:
    return RowError(
        item.row,
        header,
        "身份证号是打码的，台账里没有同姓名、同打码号的学员",
        item.values.id_number,
        "打码的身份证号只能更新已有学员；新学员请填完整的18位身份证号",
    )


class Planner:
    """Split rows into inserts and updates; count unchanged; flag decreases, duplicates and unknown masked IDs.

    ``by_key`` holds the stored trainees the file refers to, by key; ``everyone`` the stored trainees whose
    name and phone a new row may repeat (a suspected duplicate)."""

    def __init__(
        self,
        by_key: dict[str, dict[str, Any]],
        everyone: list[dict[str, Any]],
        table: LedgerTable,
        report: ImportReport,
        *,
        accept_decreases: bool,
        allow_duplicates: bool,
    ) -> None:
        self._by_key, self._everyone, self._report = by_key, everyone, report
        self._headers = {
            name: table.header(name) for name in ("online_hours", "offline_hours", "posts", "id_number")
        }
        self._accept_decreases, self._allow_duplicates = accept_decreases, allow_duplicates
        # Who a name and phone belong to: a stored trainee (described), or the file's row of that number.
        self._by_person: dict[tuple[str, str | None], str | int] | None = None

    def plan(self, accepted: list[Accepted]) -> Plan:
        """The inserts and updates of these rows (the report counts them, with what the rows before had)."""
        report, plan, by_key = self._report, Plan(), self._by_key
        for item in accepted:
            row, before = item.values, by_key.get(item.key)
            if before is None:  # a new ID number (the whole of a first import)
                if row.id_is_masked:
                    report.rejected += 1
                    report.errors.append(_masked_unknown(item, self._headers["id_number"]))
                    continue
                if self._new(item):
                    plan.inserts.append(item)
                continue
            if unchanged(row, before):
                report.unchanged += 1
                continue
            merged = merge(item.row, row, before, self._headers, accept_decreases=self._accept_decreases)
            report.warnings.extend(merged.decreases)
            report.notices.extend(merged.notices)
            if changed(merged, before):
                plan.updates.append((before["id"], merged, merged.posts != before["posts"]))
            else:
                report.unchanged += 1
        report.inserted += len(plan.inserts)
        report.updated += len(plan.updates)
        return plan

    def _new(self, item: Accepted) -> bool:
        """Whether a row with a new ID is inserted: it has posts, and it is no suspected duplicate (or those
        are allowed)."""
        report, row = self._report, item.values
        if not row.posts:
            report.rejected += 1
            report.errors.append(
                RowError(
                    item.row,
                    self._headers["posts"],
                    "新学员没有填岗位",
                    "",
                    "填写通知所列的岗位，多个用“、”隔开",
                )
            )
            return False
        if self._by_person is None:
            self._by_person = {
                (r["name"], r["phone"]): f"已有学员（{r['id_masked']}）" for r in self._everyone if r["phone"]
            }
        person = (row.name, row.phone)
        if row.phone and person in self._by_person:
            first = self._by_person[person]
            where = f"本文件第{first}行" if isinstance(first, int) else first
            duplicate = SuspectedDuplicate(
                item.row, row.name, mask_phone(row.phone), where, self._allow_duplicates
            )
            report.duplicates.append(duplicate)
            if not self._allow_duplicates:
                return False
        if row.phone:
            self._by_person.setdefault(person, item.row)
        return True
