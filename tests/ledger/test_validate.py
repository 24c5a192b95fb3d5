import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.validate import (
    FieldError,
    RowError,
    RowValidator,
    check_confirmed,
    check_flag,
    check_hours,
    check_id_number,
    check_phone,
    check_posts,
    map_headers,
    missing_columns,
)

POSTS = frozenset({"资料员", "安全员", "土建施工员"})
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def with_check_digit(body: str) -> str:
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, WEIGHTS, strict=True)) % 11]


@given(
    area=st.integers(110000, 659999),
    born=st.dates(dt.date(1900, 1, 1), dt.date(2023, 12, 31)),
    sequence=st.integers(0, 999),
)
def test_every_well_formed_id_passes_and_any_other_check_digit_fails(
    area: int, born: dt.date, sequence: int
) -> None:
    number = with_check_digit(f"{area}{born:%Y%m%d}{sequence:03d}")
    assert check_id_number(number.lower()) == number
    for wrong in "0123456789X":
        if wrong != number[-1]:
            with pytest.raises(FieldError, match="校验位"):
                check_id_number(number[:-1] + wrong)


@pytest.mark.parametrize(
    ("value", "reason"),
    [("12345", "18位"), ("430602199002301230", "出生日期"), ("43060219900101123", "18位")],
)
def test_bad_id_numbers(value: str, reason: str) -> None:
    with pytest.raises(FieldError, match=reason):
        check_id_number(value)


def test_phone_flags_hours_and_dates() -> None:
    assert check_phone(" 138-1234-5678 ") == "13812345678"
    assert check_phone("+8613812345678") == "13812345678"
    assert check_phone("") is None
    for bad in ("12345678901", "1381234567", "abc"):
        with pytest.raises(FieldError):
            check_phone(bad)
    assert [check_flag(v) for v in ("是", "Y", "1", "TRUE", "", "否", "n", "0", "false")] == [True] * 4 + [
        False
    ] * 5
    with pytest.raises(FieldError):
        check_flag("也许")
    assert check_hours("12.5") == 12.5 and check_hours("") == 0
    for bad in ("-1", "abc", "nan", "inf"):
        with pytest.raises(FieldError):
            check_hours(bad)
    assert check_confirmed("2023/10/27") == (True, dt.date(2023, 10, 27))
    assert check_confirmed("2023年10月27日") == (True, dt.date(2023, 10, 27))
    assert check_confirmed("否") == (False, None)
    with pytest.raises(FieldError, match="日期"):
        check_confirmed("2023-02-30")


def test_posts_split_on_every_separator() -> None:
    assert check_posts("资料员、安全员,土建施工员；资料员", POSTS) == ("资料员", "安全员", "土建施工员")
    assert check_posts("资料员/安全员;土建施工员，资料员", POSTS) == ("资料员", "安全员", "土建施工员")
    with pytest.raises(FieldError, match="木工"):
        check_posts("资料员、木工", POSTS)
    with pytest.raises(FieldError, match="不能为空"):
        check_posts(" 、 ", POSTS)


def test_headers_map_in_either_language_and_report_what_is_missing() -> None:
    positions = map_headers(["备注", "Name", "身份证号", "ONLINE_HOURS"])
    assert positions == {"name": 1, "id_number": 2, "online_hours": 3}
    assert "岗位/posts" in missing_columns(positions)


def test_a_row_reports_every_bad_cell_with_the_file_s_header() -> None:
    headers = ["name", "id_number", "posts", "registered", "confirmed", "paid"]
    headers += ["online_hours", "offline_hours", "audited"]
    validate = RowValidator(map_headers(headers), headers, POSTS)
    result = validate(7, ["", "430602199001011235", "资料员", "是", "", "", "x", "", "否"])
    assert result == [
        RowError(7, "name", "姓名不能为空"),
        RowError(7, "online_hours", "学时“x”不是数字"),
    ]
    assert str(result[0]) == "第7行 列name: 姓名不能为空"


def test_birth_date_after_today_is_refused():
    future = "43062120300101000"  # born 2030-01-01; add the right check digit
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    digit = "10X98765432"[sum(int(c) * w for c, w in zip(future, weights, strict=True)) % 11]
    assert check_id_number(future + digit) == future + digit  # no clock: only the shape and the digit
    with pytest.raises(FieldError, match="出生日期无效"):
        check_id_number(future + digit, dt.date(2023, 11, 24))
