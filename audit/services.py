"""Writes of the audit section: an auditor marks an anomaly as reviewed."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from agencies import roles
from config.exceptions import ConflictError

from .models import Anomaly, AnomalyReview
from .recorder import record

NOTE_MAX_LENGTH = 2000


@transaction.atomic
def anomaly_review(*, actor, anomaly: Anomaly, note: str) -> AnomalyReview:
    """Mark an anomaly as reviewed, with what the auditor concluded. Once only: a second
    review (also one racing the first) answers 409. Who may review is checked by the
    caller through audit.selectors.access_anomaly."""
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [_("Write what you found.")]})
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationError({"note": [_("Keep the note under %(n)d characters.") % {"n": NOTE_MAX_LENGTH}]})
    anomaly = Anomaly.objects.select_for_update().get(pk=anomaly.pk)
    if AnomalyReview.objects.filter(anomaly=anomaly).exists():
        raise ConflictError(_("This anomaly has already been reviewed."))
    try:
        with transaction.atomic():
            review = AnomalyReview.objects.create(anomaly=anomaly, reviewed_by=actor, note=note)
    except IntegrityError:
        raise ConflictError(_("This anomaly has already been reviewed."))
    membership = roles.memberships_for(actor, roles.READ_AUDIT).order_by("pk").first()
    record(action="audit.anomaly_reviewed", actor=actor, membership=membership, target=anomaly,
           changes={"kind": anomaly.kind, "user": anomaly.actor_username,
                    "window_start": anomaly.window_start, "events": anomaly.count})
    return review
