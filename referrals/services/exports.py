"""An export of case data to another agency: the chosen parts of a referral, as a document
for a named recipient (another municipality's child welfare service bound for court, the
health service, the police), recorded as a disclosure.

The export is authorised like every disclosure (services/disclosures.py: a legal basis
usable for the recipient, or a valid consent covering it and the purpose, or an override
by someone whose role allows it, with a reason). The disclosure row, its audit event and
the `referral.exported` event are written in one transaction with the read of the parts:
if any of them cannot be written, nothing is returned."""

from typing import NamedTuple

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from agencies import roles
from agencies.models import Agency
from audit.recorder import record

from .. import selectors
from ..access import routed_membership
from ..models import Consent, Disclosure, LegalBasis, Referral
from . import disclosures


class Export(NamedTuple):
    disclosure: Disclosure
    parts: dict

    @property
    def name(self) -> str:
        """The document's name (and file name): the referral's reference and the disclosure's
        id, nothing about the child."""
        return f"utlevering-{self.disclosure.referral.reference}-{self.disclosure.pk}"


def _validate(sending: Agency, recipient: Agency | None, legal_basis: LegalBasis | None, purpose: str,
              scope) -> list[str]:
    errors: dict[str, list[str]] = {}
    recipient_ok = False
    if recipient is None or not recipient.is_active:
        errors["recipient"] = [_("Choose the agency that receives it.")]
    elif recipient.pk == sending.pk:
        errors["recipient"] = [_("An agency cannot disclose to itself.")]
    else:
        recipient_ok = True
    if legal_basis is None:
        errors["legal_basis"] = [_("Name the legal basis the disclosure relies on.")]
    elif recipient_ok and (problem := disclosures.basis_problem(legal_basis, recipient)):
        errors["legal_basis"] = [problem]
    if purpose not in Consent.Purpose.values:
        errors["purpose"] = [_("Choose the purpose of the disclosure.")]
    scope, problem = disclosures.clean_scope(scope)
    if problem:
        errors["scope"] = [problem]
    if errors:
        raise ValidationError(errors)
    return scope


def referral_export(*, actor, referral: Referral, recipient: Agency | None, legal_basis: LegalBasis | None,
                    purpose: str, scope, consent: Consent | None = None, override: bool = False,
                    override_reason: str = "") -> Export:
    """Export the parts of a referral in `scope` for `recipient`, for `purpose` (a
    Consent.Purpose value). The actor must be a coordinator (whoever may send handovers) of
    an agency the referral is routed to; that agency is the sender. Returns the disclosure
    recorded and the parts disclosed (only those in its scope)."""
    membership = routed_membership(actor, referral, roles.SEND_HANDOVER)
    if membership is None:
        record(action="referral.export", actor=actor, outcome="denied", target=referral,
               child_id=referral.child_id, changes={"reference": referral.reference})
        raise PermissionDenied(_("Your role does not allow exporting this referral."))
    if override:
        disclosures.refuse_override_without_permission(
            actor=actor, referral=referral, membership=membership,
            recipient=recipient.pk if recipient else None)
    scope = _validate(membership.agency, recipient, legal_basis, purpose, scope)
    with transaction.atomic():
        # The referral, then the consent: the order a withdrawal locks them in.
        referral = Referral.objects.select_for_update().get(pk=referral.pk)
        authorisation = disclosures.disclosure_authorise(
            actor=actor, referral=referral, sending_agency=membership.agency, recipient=recipient,
            legal_basis=legal_basis, purpose=purpose, consent=consent, override=override,
            override_reason=override_reason, scope=scope)
        disclosure = disclosures.disclosure_record(
            actor=actor, membership=membership, referral=referral, kind=Disclosure.Kind.EXPORT,
            sending_agency=membership.agency, recipient=recipient, scope=scope, purpose=purpose,
            authorisation=authorisation)
        changes = {"reference": referral.reference, "disclosure": disclosure.pk, "recipient": recipient.pk,
                   "scope": scope, "purpose": purpose,
                   "consent": authorisation.consent.reference if authorisation.consent else None}
        if authorisation.override:
            changes.update(override=True, override_reason=authorisation.override_reason)
        record(action="referral.exported", actor=actor, membership=membership, target=referral,
               child_id=referral.child_id, legal_basis=authorisation.legal_basis.code, changes=changes)
        parts = selectors.disclosed_parts(referral=referral, scope=scope, sending_agency=membership.agency)
    return Export(disclosure=disclosure, parts=parts)
