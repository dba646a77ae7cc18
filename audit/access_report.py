"""The access report for one child (innsynslogg): every read and write of the child's
data, by whom, in which agency, on what basis; as pages and as rows for a CSV export.
Viewing or exporting it is itself recorded against the child. Scope and paging come from
audit/selectors.py."""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy, pgettext_lazy

from agencies import roles
from agencies.models import Membership

from .models import AuditEvent
from .recorder import record_many
from .selectors import (
    BREAK_GLASS_ACTION,
    READ_ACTIONS,
    AuditorScope,
    ChildSubject,
    Page,
    keyset_page,
    auditor_scope,
    child_subject,
)

class Basis:
    """On what basis an event's user reached the child's data."""

    DENIED = "denied"
    BREAK_GLASS = "break_glass"
    ASSIGNMENT = "assignment"
    ROUTING = "routing"
    REPORTER = "reporter"
    AUDIT = "audit"
    ROLE = "role"
    SYSTEM = "system"

    LABELS = {
        DENIED: gettext_lazy("Refused: no access"),
        BREAK_GLASS: gettext_lazy("Break the glass"),
        ASSIGNMENT: gettext_lazy("Assigned caseworker (grant on the referral)"),
        ROUTING: gettext_lazy("Routed to the agency"),
        REPORTER: gettext_lazy("Filed the referral"),
        AUDIT: gettext_lazy("Auditor"),
        ROLE: gettext_lazy("Role in the agency"),
        SYSTEM: gettext_lazy("The system (deadlines, routing)"),
    }


def basis_of(event: AuditEvent) -> str:
    if event.outcome == AuditEvent.Outcome.DENIED:
        return Basis.DENIED
    if event.action == BREAK_GLASS_ACTION or (event.changes or {}).get("break_glass"):
        return Basis.BREAK_GLASS
    if (event.actor_id is None and not event.actor_username) or (not event.role and event.agency_id is None):
        return Basis.SYSTEM  # e.g. a deadline opened or met as a consequence of someone's action
    if event.role == Membership.Role.CASEWORKER:
        return Basis.ASSIGNMENT
    if event.role == Membership.Role.AUDITOR or event.action.startswith("audit."):
        return Basis.AUDIT
    if event.role == Membership.Role.REPORTER:
        return Basis.REPORTER
    if event.legal_basis or event.role in roles.roles_for(roles.READ_ROUTED_REFERRAL):
        return Basis.ROUTING
    return Basis.ROLE


def access_kind(event: AuditEvent) -> str:
    if event.outcome == AuditEvent.Outcome.DENIED:
        return "denied"
    return "read" if event.action in READ_ACTIONS else "write"


ACCESS_KIND_LABELS = {
    "read": pgettext_lazy("access to a child's data", "Read"),
    "write": pgettext_lazy("access to a child's data", "Change"),
    "denied": pgettext_lazy("access to a child's data", "Refused"),
}


@dataclass(frozen=True)
class ReportRow:
    event: AuditEvent
    kind: str
    basis: str

    @property
    def kind_label(self) -> str:
        return str(ACCESS_KIND_LABELS[self.kind])

    @property
    def basis_label(self) -> str:
        return str(Basis.LABELS[self.basis])

    @property
    def reference(self) -> str:
        return str((self.event.changes or {}).get("reference", ""))


def _report_queryset(subject: ChildSubject) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(child_id__in=subject.child_ids).select_related("agency")


def _subject_or_404(scope: AuditorScope, reference: str, action: str) -> ChildSubject:
    subject = child_subject(scope, reference)
    if subject is None:
        scope.record(action=action, outcome=AuditEvent.Outcome.DENIED, target_type="referrals.referral",
                     changes={"reference": reference[:32]})
        raise Http404
    return subject


def access_report(*, user, reference: str, cursor: str = "", size: int = 500) -> tuple[ChildSubject, Page]:
    """Every read and write of one child's data, oldest first: by whom, in which agency,
    on what basis. Viewing it is itself recorded against the child."""
    scope = auditor_scope(user, action="audit.report_read")
    subject = _subject_or_404(scope, reference, "audit.report_read")
    page = keyset_page(_report_queryset(subject), cursor=cursor, size=size, newest_first=False,
                 time_field="occurred_at")
    with transaction.atomic():
        record_many(scope.build(action="audit.report_read", child_id=pk,
                                changes={"reference": subject.reference, "cursor": bool(cursor)})
                    for pk in subject.child_ids)
    page.rows = [ReportRow(event=e, kind=access_kind(e), basis=basis_of(e)) for e in page.rows]
    return subject, page


def access_report_export(*, user, reference: str):
    """The whole report as rows for a CSV file. The export is audited before anything is
    returned (fail closed); the rows are then streamed from the database."""
    scope = auditor_scope(user, action="audit.export")
    subject = _subject_or_404(scope, reference, "audit.export")
    with transaction.atomic():
        record_many(scope.build(action="audit.export", child_id=pk,
                                changes={"reference": subject.reference, "format": "csv"})
                    for pk in subject.child_ids)

    def rows():
        for event in _report_queryset(subject).order_by("occurred_at", "pk").iterator(chunk_size=2000):
            yield ReportRow(event=event, kind=access_kind(event), basis=basis_of(event))

    return subject, rows()
