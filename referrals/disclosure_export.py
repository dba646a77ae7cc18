"""The disclosure log of a referral as a CSV file, safe to open in a spreadsheet (cells that
would be read as formulas are neutralised, as in the access report)."""

import csv
from collections.abc import Iterable, Iterator

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.export import neutralise

from .models import Disclosure, Referral


class _Echo:
    def write(self, value):
        return value


def header() -> list[str]:
    return [_("Time (Oslo)"), _("Kind"), _("From agency"), _("To agency"), _("What was disclosed"), _("Purpose"),
            _("Legal basis"), _("Law reference"), _("Consent"), _("Override"), _("Reason for the override"),
            _("Approved by"), _("Handover")]


def cells(d: Disclosure) -> list:
    return [
        timezone.localtime(d.created_at).strftime("%Y-%m-%d %H:%M:%S"), d.get_kind_display(), d.sending_agency.name,
        d.recipient.name, "; ".join(d.scope_labels()), d.purpose, d.legal_basis.code, d.legal_basis.law_reference,
        d.consent.reference if d.consent else "", _("yes") if d.override else "", d.override_reason,
        d.approved_by.get_username(), d.handover.reference if d.handover else "",
    ]


def lines(rows: Iterable[Disclosure]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # so that spreadsheet programs read UTF-8 (æ, ø, å)
    yield writer.writerow([neutralise(c) for c in header()])
    for row in rows:
        yield writer.writerow([neutralise(c) for c in cells(row)])


def csv_response(referral: Referral, rows: Iterable[Disclosure]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines(rows), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="utleveringer-{referral.reference}-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response
