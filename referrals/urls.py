from django.urls import path

from . import access_views, consent_views, export_views, handover_views, triage_views, views
from config import converters  # noqa: F401  (registers <id:...>)

app_name = "referrals"

urlpatterns = [
    path("new/", views.referral_create, name="create"),
    path("queue/", views.referral_queue, name="queue"),
    path("mine/", views.referrals_mine, name="mine"),
    path("handovers/", handover_views.handover_inbox, name="handovers"),
    path("handovers/<str:reference>/", handover_views.handover_detail, name="handover-detail"),
    path("handovers/<str:reference>/acknowledge/", handover_views.handover_acknowledge, name="handover-acknowledge"),
    path("handovers/<str:reference>/accept/", handover_views.handover_accept, name="handover-accept"),
    path("handovers/<str:reference>/decline/", handover_views.handover_decline, name="handover-decline"),
    path("handovers/<str:reference>/revoke/", handover_views.handover_revoke, name="handover-revoke"),
    path("handovers/<str:reference>/messages/", handover_views.handover_message, name="handover-message"),
    path("break-glass/", access_views.break_glass, name="break-glass"),
    path("consents/<str:reference>/withdraw/", consent_views.consent_withdraw, name="consent-withdraw"),
    path("consents/<str:reference>/document/", consent_views.consent_document, name="consent-document"),
    path("consents/<str:reference>/document/attach/", consent_views.consent_document_attach,
         name="consent-document-attach"),
    path("<str:reference>/", views.referral_detail, name="detail"),
    path("<str:reference>/consents/", consent_views.consent_list, name="consents"),
    path("<str:reference>/disclosures/", consent_views.disclosure_log, name="disclosures"),
    path("<str:reference>/disclosures/export/", consent_views.disclosure_export, name="disclosures-export"),
    path("<str:reference>/edit/", views.referral_edit, name="edit"),
    path("<str:reference>/addendum/", views.referral_addendum, name="addendum"),
    path("<str:reference>/consent/", views.referral_reporter_consent, name="reporter-consent"),
    path("<str:reference>/decide/", triage_views.decide, name="decide"),
    path("<str:reference>/assign/", triage_views.assign, name="assign"),
    path("<str:reference>/feedback/", triage_views.feedback, name="feedback"),
    path("<str:reference>/notes/", triage_views.note, name="note"),
    path("<str:reference>/handover/", handover_views.handover_create, name="handover-create"),
    path("<str:reference>/export/", export_views.export_create, name="export-create"),
    path("<str:reference>/acknowledge/", handover_views.routing_acknowledge, name="routing-acknowledge"),
    path("<str:reference>/chronology/", triage_views.chronology, name="chronology"),
    path("<str:reference>/case/link/", triage_views.link_case, name="case-link"),
    path("<str:reference>/case/unlink/", triage_views.unlink_case, name="case-unlink"),
    path("cases/<id:case_id>/chronology/", triage_views.case_chronology, name="case-chronology"),
]
