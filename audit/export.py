"""The access report as a CSV file, safe to open in a spreadsheet."""

import csv
from collections.abc import Iterable, Iterator

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from .access_report import ReportRow
from .selectors import ChildSubject
from .templatetags.audit_tags import role_label

# A cell beginning with one of these is read as a formula by spreadsheet programs
# (CSV/formula injection); such cells get a leading apostrophe.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Echo:
    def write(self, value):
        return value


def header() -> list[str]:
    return [_("Time (Oslo)"), _("Access"), _("Action"), _("Outcome"), _("User"), _("Agency"), _("Role"),
            _("Basis"), _("Legal basis"), _("Referral"), _("Request id"), _("IP address"), _("Event id")]


def cells(row: ReportRow) -> list[str]:
    e = row.event
    return [
        timezone.localtime(e.occurred_at).strftime("%Y-%m-%d %H:%M:%S"), row.kind_label, e.action,
        e.get_outcome_display(), e.actor_username, e.agency.name if e.agency else "", role_label(e.role) if e.role
        else "", row.basis_label,
        e.legal_basis, row.reference, e.request_id, e.ip_address or "", e.pk,
    ]


def lines(rows: Iterable[ReportRow]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # so that spreadsheet programs read UTF-8 (æ, ø, å)
    yield writer.writerow([neutralise(c) for c in header()])
    for row in rows:
        yield writer.writerow([neutralise(c) for c in cells(row)])


def csv_response(subject: ChildSubject, rows: Iterable[ReportRow]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines(rows), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="innsynslogg-{subject.reference}-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response
