"""The time zone the tests' fixed moments are written in: the packaged campaign's."""

from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
