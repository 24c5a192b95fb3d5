import datetime as dt
import functools
import unicodedata
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.cells import ExcelNumber, cell_text
from ledger.columns import vocabulary
from ledger.row_validator import RowValidator
from ledger.validate import (
    FieldError,
    LedgerRow,
    RowError,
    check_confirmed,
    check_flag,
    check_hours,
    check_id_cell,
    check_id_number,
    check_phone,
    check_posts,
    usual_ids,
    usual_phones,
)

POSTS = frozenset({"资料员", "安全员", "土建施工员"})
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
HEADERS = ["name", "id_number", "phone", "posts", "registered", "confirmed", "paid"]
HEADERS += ["online_hours", "offline_hours", "audited"]
# Decimal digits of several scripts: ASCII, full width, Arabic-Indic, Devanagari, Bengali, Thai, math bold.
DIGIT_ZEROS = (0x30, 0xFF10, 0x660, 0x966, 0x9E6, 0xE50, 0x1D7CE)


def with_check_digit(body: str) -> str:
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, WEIGHTS, strict=True)) % 11]


def validator() -> RowValidator:
    return RowValidator(vocabulary().map_headers(HEADERS), HEADERS, POSTS)


ids = st.builds(
    lambda area, born, seq: with_check_digit(f"{area}{born:%Y%m%d}{seq:03d}"),
    st.integers(110000, 659999),
    st.dates(dt.date(1900, 1, 1), dt.date(2023, 12, 31)),
    st.integers(0, 999),
)


@given(ids)
def test_every_well_formed_id_passes_and_any_other_check_digit_fails(number: str) -> None:
    assert check_id_number(number.lower()) == number
    for wrong in "0123456789X":
        if wrong != number[-1]:
            with pytest.raises(FieldError, match="校验位"):
                check_id_number(number[:-1] + wrong)


@given(
    ids,
    st.lists(st.sampled_from(DIGIT_ZEROS), min_size=18, max_size=18),
    st.sampled_from(["", " ", "\u3000"]),
)
def test_digits_of_any_script_are_read_as_digits(number: str, zeros: list[int], pad: str) -> None:
    written = "".join(
        chr(zero + int(d)) if d.isdigit() else "Ｘ" for d, zero in zip(number, zeros, strict=True)
    )
    assert check_id_cell(cell_text(pad + written + pad)) == (number, False)
    phone = "13207425393"
    typed = "".join(chr(zero + int(d)) for d, zero in zip(phone, zeros, strict=False))
    assert check_phone(cell_text(typed)) == phone
    assert check_hours(cell_text(chr(zeros[0] + 2) + chr(zeros[1] + 4) + "学时")) == 24


@given(st.lists(st.text(max_size=24), min_size=len(HEADERS), max_size=len(HEADERS)))
def test_no_cell_crashes_the_check(cells: list[str]) -> None:
    result = validator()(5, [cell_text(c) for c in cells])
    assert isinstance(result, LedgerRow | list)
    if isinstance(result, list):
        assert all(isinstance(e, RowError) and e.row == 5 and e.reason for e in result)


@given(st.text(alphabet=st.characters(categories=["Nd"]), min_size=1, max_size=20))
def test_any_decimal_digits_fold_to_ascii(digits: str) -> None:
    folded = cell_text(digits)
    assert folded.isascii() and folded.isdigit()
    assert int(folded) == int("".join(str(unicodedata.decimal(d)) for d in digits))


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("12345", "18位"),
        ("430602199002301230", "出生日期"),
        ("43060219900101123", "18位"),
        ("430602900101123", "15位"),
    ],
)
def test_bad_id_numbers(value: str, reason: str) -> None:
    with pytest.raises(FieldError, match=reason):
        check_id_number(value)


@pytest.mark.parametrize(
    "cell",
    [
        ExcelNumber(4.30611197210058e17),  # as Excel stores it
        ExcelNumber(430611197210058000),  # as a program wrote the truncated number
        ExcelNumber(430611197210058213),  # even all 18 digits: Excel would drop them on the next save
        "4.30611E+17",  # a CSV saved from Excel
        "4.30611197210058e+17",
    ],
)
def test_an_id_number_stored_as_a_number_is_refused_with_the_cause(cell: str) -> None:
    with pytest.raises(FieldError, match="被Excel存成了数字，后几位已丢失") as caught:
        check_id_cell(cell)
    assert "文本" in caught.value.fix


def test_a_masked_id_number_is_recognised() -> None:
    assert check_id_cell("4306**********4985") == ("4306**********4985", True)
    with pytest.raises(FieldError):
        check_id_number("4306**********4985")


def test_phones() -> None:
    assert check_phone(" 138-1234-5678 ") == "13812345678"
    assert check_phone("+8613812345678") == "13812345678"
    assert check_phone("13812345678.0") == "13812345678"
    assert check_phone(ExcelNumber(13812345678)) == "13812345678"
    assert check_phone(ExcelNumber(13812345678.0)) == "13812345678"
    assert check_phone("") is None
    assert check_phone("138****5678") is None  # masked, as exported: keep the stored number
    with pytest.raises(FieldError, match="科学计数法"):
        check_phone("1.38123E+10")
    with pytest.raises(FieldError, match="固定电话"):
        check_phone("0730-8981006")
    for bad in ("12345678901", "1381234567", "abc", "13812345678/13900000000"):
        with pytest.raises(FieldError):
            check_phone(bad)


def test_flags_as_platforms_and_staff_write_them() -> None:
    yes = ("是", "Y", "1", "TRUE", "已确认", "已缴", "已缴费", "已审核", "审核通过", "√", "已报名")
    no = ("否", "n", "0", "false", "未缴", "未审核", "待审核", "×", "未报名", "未确认")
    assert all(check_flag(cell_text(v)) is True for v in yes)
    assert all(check_flag(cell_text(v)) is False for v in no)
    assert check_flag("") is None
    with pytest.raises(FieldError, match="是”还是“否") as caught:
        check_flag("也许")
    assert "已缴/未缴" in caught.value.fix


def test_hours_and_dates() -> None:
    assert check_hours("12.5") == 12.5 and check_hours("20学时") == 20 and check_hours("20 小时") == 20
    assert check_hours(ExcelNumber(20.5)) == 20.5
    assert check_hours("") is None
    for bad in ("-1", "abc", "nan", "inf", "二十"):
        with pytest.raises(FieldError):
            check_hours(bad)
    assert check_confirmed("2023/10/27") == (True, dt.date(2023, 10, 27))
    assert check_confirmed("2023年10月27日") == (True, dt.date(2023, 10, 27))
    assert check_confirmed(ExcelNumber(45226)) == (True, dt.date(2023, 10, 27))  # a date cell without format
    assert check_confirmed("否") == (False, None)
    assert check_confirmed("") == (None, None)
    with pytest.raises(FieldError, match="日期"):
        check_confirmed("2023-02-30")


def test_posts_split_on_every_separator() -> None:
    assert check_posts(cell_text("资料员、安全员,土建施工员；资料员"), POSTS) == (
        "资料员",
        "安全员",
        "土建施工员",
    )
    assert check_posts(cell_text("资料员／安全员;土建施工员，资料员"), POSTS) == (
        "资料员",
        "安全员",
        "土建施工员",
    )
    with pytest.raises(FieldError, match="木工"):
        check_posts("资料员、木工", POSTS)
    assert check_posts(" 、 ", POSTS) is None


def test_headers_as_platforms_and_staff_write_them() -> None:
    words = vocabulary()
    written = ["序号", "Name", "身份证号码", "联系电话", "工作单位", "是否缴费", "审核状态", "线上学时(学时)"]
    written += ["*线下学时（学时）", "岗位 名称", "资格确认日期"]
    assert words.map_headers(written) == {
        "name": 1,
        "id_number": 2,
        "phone": 3,
        "employer": 4,
        "paid": 5,
        "audited": 6,
        "online_hours": 7,
        "offline_hours": 8,
        "posts": 9,
        "confirmed": 10,
    }


def test_a_row_reports_every_bad_cell_with_the_cell_as_typed_and_the_fix() -> None:
    row = ["", "430602199001011235", "", "资料员", "是", "", "", "x", "", "否"]
    result = validator()(7, row)
    assert result == [
        RowError(7, "name", "姓名为空", "", "填写学员姓名；整行作废就删除这一行"),
        RowError(7, "online_hours", "学时不是数字", "x", "只填数字，如 20 或 20.5"),
    ]
    assert str(result[1]) == "第7行 online_hours列：“x”——学时不是数字。改法：只填数字，如 20 或 20.5"
    bad_id = validator()(8, ["刘洋", ExcelNumber(4.30621199208285e17), *row[2:]])
    assert isinstance(bad_id, list)
    assert "4.30" in str(bad_id[0]) and "后几位已丢失" in str(bad_id[0])


def test_the_cell_as_typed_never_shows_a_whole_id_or_phone_number() -> None:
    row = ["刘洋", "430621199208284986", "1320742539X", "资料员", "", "", "", "", "", ""]
    errors = validator()(3, row)
    assert isinstance(errors, list)
    text = " ".join(map(str, errors))
    assert "4306**********4986" in text and "430621199208284986" not in text
    assert "132****539X" in text


def test_blank_cells_are_not_given() -> None:
    row = validator()(2, ["刘洋", "430621199208284985", "", "", "", "", "", "", "", ""])
    assert row == LedgerRow(name="刘洋", id_number="430621199208284985")


def test_birth_date_after_today_is_refused() -> None:
    future = with_check_digit("43062120300101000")  # born 2030-01-01
    assert check_id_number(future) == future  # no clock: only the shape and the digit
    with pytest.raises(FieldError, match="出生日期无效"):
        check_id_number(future, dt.date(2023, 11, 24))


# Cells an ID or phone column may hold: good numbers, one digit changed, wrong birth dates, other shapes.
near_ids = st.one_of(
    ids,
    st.builds(
        lambda n, i, d: n[:i] + d + n[i + 1 :], ids, st.integers(0, 17), st.sampled_from("0123456789X")
    ),
    st.sampled_from(["430602199002301230", "430602209901011236", "43060219900101123", "4306**********1237"]),
    st.text(alphabet="0123456789Xx *", min_size=17, max_size=19),
)


def _one_by_one(check: Callable[[str], object], cells: set[str], usual: object) -> bool:
    def plain(cell: str) -> bool:
        try:
            return check(cell) == usual(cell)  # type: ignore[operator]
        except FieldError:
            return False

    return all(map(plain, cells))


@given(st.sets(near_ids, max_size=6), st.sampled_from([None, dt.date(2000, 1, 1)]))
def test_a_column_of_ids_is_usual_exactly_when_each_cell_is_read_as_itself(
    cells: set[str], today: dt.date | None
) -> None:
    check = functools.partial(check_id_cell, today=today)
    assert usual_ids(cells, today) == _one_by_one(check, cells, lambda cell: (cell, False))


@given(st.sets(st.text(alphabet="0123456789-+ *", min_size=10, max_size=13), max_size=6))
def test_a_column_of_phones_is_usual_exactly_when_each_cell_is_given_back_as_it_is(cells: set[str]) -> None:
    assert usual_phones(cells) == _one_by_one(check_phone, cells, lambda cell: cell)
    assert usual_phones({"13207425393", "19912345678"}) and not usual_phones({"13207425393", "12345678901"})


def test_a_refused_cell_in_a_column_of_usual_ones_is_still_refused_with_its_row() -> None:
    good = with_check_digit("43062119920828498")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    rows = [(2, ["刘洋", good, "13207425393", "资料员"]), (3, ["王芳", bad, "1320742539", "资料员"])]
    first, second = validator().rows(rows)
    assert isinstance(first, LedgerRow) and first.id_number == good and first.phone == "13207425393"
    assert isinstance(second, list) and [e.column for e in second] == ["id_number", "phone"]
