from knowledge.status import HoursRules, Step
from ledger.report import behind
from tests.records import trainee

RULES = HoursRules(yearly=32, online_min=20, offline_proof_min=12)


def test_behind_lists_who_still_lacks_what():
    done = trainee(trainee_id=1, registered=True, confirmed=True, paid=True, online_hours=32, audited=True)
    unpaid = trainee(trainee_id=2, registered=True, confirmed=True, online_hours=25, employer="平江路桥公司")
    new = trainee(trainee_id=3)
    rows = behind([done, unpaid, new], RULES)
    assert [r.record.trainee_id for r in rows] == [2, 3]
    assert rows[0].steps == (Step.PAY, Step.STUDY_ONLINE) and rows[0].online_short == 7
    assert [r.record.trainee_id for r in behind([done, unpaid, new], RULES, step=Step.REGISTER)] == [3]
    assert [r.record.trainee_id for r in behind([done, unpaid, new], RULES, employer="平江路桥公司")] == [2]
    assert behind([done, unpaid, new], RULES, post="安全员") == []


def _render(table: object, width: int = 80) -> str:
    import io

    from rich.console import Console

    out = io.StringIO()
    Console(file=out, width=width, color_system=None).print(table)
    return out.getvalue()


def test_behind_wraps_at_80_columns_and_shows_phones_only_when_asked():
    from ledger.report import behind_table

    long = trainee(
        trainee_id=4,
        name="欧阳娜娜",
        phone="13207425393",
        employer="岳阳市城市建设投资集团有限公司第三工程项目部",
    )
    rows = behind([long, trainee(trainee_id=5, phone="13118318005")], RULES)
    text = _render(behind_table(rows))
    assert all(len(line) <= 80 for line in text.splitlines())
    assert "…" not in text
    assert "欧阳娜娜" in text and "4306**********4985" in text and "132****5393" in text
    assert "13207425393" not in text
    columns = [line.split("│")[1:-1] for line in text.splitlines() if line.startswith("│")]
    employer = "".join(cells[3].strip() for cells in columns)
    missing = "".join(cells[4].strip() for cells in columns)
    assert "岳阳市城市建设投资集团有限公司第三工程项目部" in employer  # wrapped, nothing cut off
    assert "未报名、未资格确认、未缴费、线上学时不足（线上差32，线下差0学时）" in missing
    assert "13207425393" in _render(behind_table(rows, show_phone=True))


def test_steps_are_named_in_chinese_or_english():
    import pytest

    from ledger.report import parse_step

    names = {"报名": Step.REGISTER, "资格确认": Step.CONFIRM, "缴费": Step.PAY, "线上学时": Step.STUDY_ONLINE}
    names |= {"线下证明": Step.UPLOAD_PROOF, "审核": Step.AUDIT, "未缴费": Step.PAY, "PAY": Step.PAY}
    names |= {"upload_proof": Step.UPLOAD_PROOF, " 审核 ": Step.AUDIT}
    assert {text: parse_step(text) for text in names} == names
    with pytest.raises(ValueError, match="报名、资格确认、缴费、线上学时、线下证明、审核"):
        parse_step("付钱")


def test_status_tables_fit_80_columns():
    from ledger.report import status_tables

    records = [trainee(trainee_id=i, posts=("设备安装质量员", "市政工程施工员")) for i in range(1, 4)]
    for table in status_tables(records, RULES):
        text = _render(table)
        assert "…" not in text and all(len(line) <= 80 for line in text.splitlines())
