"""Statutory clocks in Europe/Oslo time.

A deadline falls at the end of the local day the law's period ends on: received on a
Monday at 10:00, reviewed "within one week" means by the next Monday 23:59:59 in Oslo,
whether or not daylight saving time changed in between. Months are calendar months
(31 January + 1 month = 28/29 February). Acknowledgement clocks for handovers and
routings can also count Norwegian working days.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.easter import easter
from dateutil.relativedelta import relativedelta
from django.conf import settings
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


def norwegian_public_holidays(year: int) -> frozenset[date]:
    """Norway's public holidays (helligdager and the two national days): the working-day
    clocks skip them as they skip weekends."""
    e = easter(year)
    return frozenset({
        date(year, 1, 1), e - timedelta(days=3), e - timedelta(days=2), e, e + timedelta(days=1),
        date(year, 5, 1), date(year, 5, 17), e + timedelta(days=39), e + timedelta(days=49),
        e + timedelta(days=50), date(year, 12, 25), date(year, 12, 26),
    })


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in norwegian_public_holidays(day.year)


def working_days_after(start: datetime, days: int) -> datetime:
    """The end of the Oslo day that is the `days`-th working day after `start`'s Oslo date."""
    day = oslo_date(start)
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return datetime.combine(day, END_OF_DAY, tzinfo=OSLO)


def acknowledge_by(start: datetime, *, rule: str, amount: int) -> datetime:
    """One acknowledgement rule (see HANDOVER_ACKNOWLEDGE_DEADLINES in the settings)."""
    if rule == "hours":
        return start + timedelta(hours=amount)
    if rule == "end_of_day":
        return due(start, days=amount)
    if rule == "working_days":
        return working_days_after(start, amount)
    raise ValueError(f"unknown acknowledgement rule {rule!r}")


def handover_acknowledge_by(start: datetime, *, type: str, urgency: str) -> datetime:
    """The first rule in the settings matching the handover's type and urgency."""
    for rule_type, rule_urgency, rule, amount in settings.HANDOVER_ACKNOWLEDGE_DEADLINES:
        if rule_type in ("*", type) and rule_urgency in ("*", urgency):
            return acknowledge_by(start, rule=rule, amount=amount)
    return working_days_after(start, 2)


def routing_acknowledge_by(start: datetime) -> datetime:
    """A routing whose rules set no acknowledgement time: within the configured working days."""
    return working_days_after(start, settings.ROUTING_ACKNOWLEDGE_WORKING_DAYS)
