"""Statutory clocks in Europe/Oslo time.

A deadline falls at the end of the local day the law's period ends on: received on a
Monday at 10:00, reviewed "within one week" means by the next Monday 23:59:59 in Oslo,
whether or not daylight saving time changed in between. Months are calendar months
(31 January + 1 month = 28/29 February).
"""

from datetime import datetime, time
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from django.utils import timezone

from .models import StatutoryClock

OSLO = ZoneInfo("Europe/Oslo")
END_OF_DAY = time(23, 59, 59)


def due(start: datetime, *, days: int = 0, months: int = 0) -> datetime:
    """The end of the Oslo day that is `months` and `days` after `start`'s Oslo date."""
    local_day = timezone.localtime(start, OSLO).date() + relativedelta(months=months, days=days)
    return datetime.combine(local_day, END_OF_DAY, tzinfo=OSLO)


def due_for(clock: StatutoryClock, start: datetime) -> datetime:
    return due(start, days=clock.days, months=clock.months)


def clock(code: str) -> StatutoryClock:
    return StatutoryClock.objects.get(code=code)


def oslo_date(moment: datetime):
    return timezone.localtime(moment, OSLO).date()
