"""What an import did, and the same in Chinese for staff: counts, refused rows, what needs a look."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from ledger.validate import RowError


@dataclass(frozen=True)
class HoursDecrease:
    """Hours lower than the stored value: kept as stored unless decreases are accepted."""

    row: int
    column: str
    before: float
    after: float
    applied: bool = False

    def __str__(self) -> str:
        change = f"第{self.row}行 {self.column}列：学时由 {self.before:g} 降为 {self.after:g}"
        if self.applied:
            return f"{change}（已按新值保存）"
        return f"{change}——未改动，仍为 {self.before:g}；核对无误后加 --accept-decreases 重新导入"


@dataclass(frozen=True)
class SuspectedDuplicate:
    """A new ID number whose name and phone match a trainee already known: not inserted unless allowed."""

    row: int
    name: str
    phone_masked: str
    other: str  # the other record: a masked ID number already stored, or "第N行" of this file
    inserted: bool = False

    def __str__(self) -> str:
        text = f"第{self.row}行：{self.name}（手机 {self.phone_masked}）的身份证号是新的，但姓名和手机号与{self.other}相同"
        if self.inserted:
            return f"{text}——已按 --allow-duplicates 作为新学员导入"
        return (
            f"{text}，疑似同一人（身份证号被改错或被Excel截断）——未导入；"
            "确属两个人时加 --allow-duplicates 重新导入"
        )


@dataclass(frozen=True)
class RowNotice:
    """A change worth a look that was applied (e.g. a name that differs from the stored one)."""

    row: int
    text: str

    def __str__(self) -> str:
        return f"第{self.row}行：{self.text}"


@dataclass
class ImportReport:
    """What an import did (or, on a dry run, would do)."""

    dry_run: bool = False
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[HoursDecrease] = field(default_factory=list)
    duplicates: list[SuspectedDuplicate] = field(default_factory=list)
    notices: list[RowNotice] = field(default_factory=list)
    file_notes: list[str] = field(default_factory=list)
    blank_rows: int = 0

    @property
    def held_back(self) -> int:
        """Suspected duplicates not inserted."""
        return sum(1 for d in self.duplicates if not d.inserted)

    @property
    def rows(self) -> int:
        """Data rows read (blank and totals rows not counted)."""
        return self.inserted + self.updated + self.unchanged + self.rejected + self.held_back

    def summary(self) -> str:
        """One line of counts, in Chinese."""
        prefix = "（试运行，未写入）" if self.dry_run else ""
        verb = "将" if self.dry_run else ""
        line = (
            f"{prefix}共 {self.rows} 行：{verb}新增 {self.inserted} 人，{verb}更新 {self.updated} 人，"
            f"未变 {self.unchanged} 人，拒绝 {self.rejected} 行"
        )
        if self.duplicates:
            line += f"，疑似重复 {len(self.duplicates)} 行"
        if self.warnings:
            line += f"，学时下降 {len(self.warnings)} 处"
        return line

    def lines(self) -> Iterator[str]:
        """The whole report for staff: counts, the file, refused rows, then what needs a look."""
        yield self.summary()
        for note in self.file_notes:
            yield f"· {note}"
        if self.blank_rows:
            yield f"· 跳过空行 {self.blank_rows} 行（只有序号或没有台账内容）"
        if self.errors:
            yield f"拒绝的行（{self.rejected} 行，改好后可重新导入整个文件，已导入的行不会重复）："
            yield from (f"  {e}" for e in self.errors)
        if self.duplicates:
            yield "疑似重复："
            yield from (f"  {d}" for d in self.duplicates)
        if self.warnings:
            yield "学时下降："
            yield from (f"  {w}" for w in self.warnings)
        if self.notices:
            yield "请留意："
            yield from (f"  {n}" for n in self.notices)
