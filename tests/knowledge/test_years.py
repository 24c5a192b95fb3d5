"""Consecutive years: the campaign of the moment, the words between two campaigns, each year's calendar."""

import datetime as dt

import pytest
import yaml

from knowledge import calendar
from knowledge.campaign import DEFAULT_CAMPAIGN, Campaign, CampaignError, YearDays, load_campaign
from knowledge.years import between_text, choose, load_campaigns

PACKAGED = load_campaign()


def _year(campaign: Campaign, year: int, start: dt.date, end: dt.date, issued: dt.date) -> Campaign:
    meta = campaign.campaign.model_copy(update={"id": f"yueyang-{year}", "issued_on": issued})
    period = campaign.facts.period.model_copy(update={"start": start, "end": end})
    return campaign.model_copy(
        update={"campaign": meta, "facts": campaign.facts.model_copy(update={"period": period})}
    )


Y2024 = _year(PACKAGED, 2024, dt.date(2024, 7, 15), dt.date(2024, 12, 20), dt.date(2024, 7, 8))
YEARS = [Y2024, PACKAGED]  # any order


@pytest.mark.parametrize(
    ("today", "campaign_id", "between"),
    [
        (dt.date(2023, 7, 1), "yueyang-2023", False),  # before every campaign: the first
        (dt.date(2023, 11, 24), "yueyang-2023", False),
        (dt.date(2023, 12, 31), "yueyang-2023", False),  # the last day still belongs to it
        (dt.date(2024, 1, 1), "yueyang-2023", True),  # ended, 2024's notice not out
        (dt.date(2024, 7, 7), "yueyang-2023", True),
        (dt.date(2024, 7, 8), "yueyang-2024", False),  # notice out, period not started yet
        (dt.date(2024, 7, 15), "yueyang-2024", False),
        (dt.date(2025, 3, 1), "yueyang-2024", True),
    ],
)
def test_the_campaign_of_the_day(today, campaign_id, between):
    season = choose(YEARS, today)
    assert (season.campaign.campaign.id, season.between) == (campaign_id, between)


def test_between_two_campaigns_the_bot_says_when_the_last_ended_and_gives_the_hotline():
    text = between_text(PACKAGED, "full")
    assert text.startswith("2023年度继续教育已于2023年12月31日结束，下一年度的通知还没有发布")
    assert "0730-8981006" in text
    assert len(between_text(PACKAGED, "short")) <= 70


def _write(folder, name, campaign: Campaign) -> None:
    raw = campaign.model_dump(mode="json", by_alias=True)
    (folder / name).write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")


def test_a_folder_of_campaign_files_loads_every_year(tmp_path):
    (tmp_path / "yueyang-2023.yaml").write_text(
        DEFAULT_CAMPAIGN.read_text(encoding="utf-8"), encoding="utf-8"
    )
    _write(tmp_path, "yueyang-2024.yaml", Y2024)
    (tmp_path / "README.txt").write_text("not a campaign", encoding="utf-8")
    assert sorted(c.campaign.id for c in load_campaigns(directory=tmp_path)) == [
        "yueyang-2023",
        "yueyang-2024",
    ]


def test_a_folder_with_no_campaign_or_two_files_of_one_id_is_refused(tmp_path):
    with pytest.raises(CampaignError, match="no campaign files"):
        load_campaigns(directory=tmp_path)
    _write(tmp_path, "a.yaml", PACKAGED)
    _write(tmp_path, "b.yaml", PACKAGED)
    with pytest.raises(CampaignError, match="also used by"):
        load_campaigns(directory=tmp_path)
    with pytest.raises(CampaignError, match="not a folder"):
        load_campaigns(directory=tmp_path / "missing")


def test_a_campaign_file_carries_the_holidays_of_a_year_the_package_does_not_know():
    y2027 = _year(PACKAGED, 2027, dt.date(2027, 9, 1), dt.date(2027, 10, 31), dt.date(2027, 8, 1))
    assert calendar.uncovered_years(y2027) == [2027]
    with pytest.raises(calendar.CalendarError, match="calendar:"):
        calendar.confirmation_windows(y2027)
    days = YearDays(
        holidays=(dt.date(2027, 9, 27), dt.date(2027, 10, 1), dt.date(2027, 10, 4)),
        workdays=(dt.date(2027, 9, 26),),  # a Sunday worked
    )
    covered = y2027.model_copy(update={"calendar": {2027: days}})
    assert calendar.uncovered_years(covered) == []
    windows = calendar.confirmation_windows(covered)
    assert [w.days for w in windows] == [
        (dt.date(2027, 9, 26), dt.date(2027, 9, 28), dt.date(2027, 9, 29), dt.date(2027, 9, 30)),
        (dt.date(2027, 10, 26), dt.date(2027, 10, 27), dt.date(2027, 10, 28), dt.date(2027, 10, 29)),
    ]


def test_the_package_wins_for_the_years_it_knows():
    days = YearDays(holidays=(dt.date(2023, 11, 27),))  # a Monday the State Council never gave off
    assert calendar.is_workday(dt.date(2023, 11, 27), ((2023, days),))


def test_calendar_dates_must_lie_in_their_year():
    raw = yaml.safe_load(DEFAULT_CAMPAIGN.read_text(encoding="utf-8"))
    raw["calendar"] = {2027: {"holidays": ["2028-01-01"]}}
    with pytest.raises(ValueError, match="列出了别的年份的日期：2028-01-01"):
        Campaign.model_validate(raw)
