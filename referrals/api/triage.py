"""Triage through the API: decisions, caseworker assignment, feedback to the reporter,
internal notes, the chronology, and cases."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.models import Agency, User

from .. import selectors, services
from ..access import access_referral
from ..models import Case, Decision, Feedback, LegalBasis, Referral
from ..models.triage import TEXT_MAX_LENGTH


class DecisionInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Decision.Kind.choices)
    justification = serializers.CharField(max_length=TEXT_MAX_LENGTH, required=False, allow_blank=True, default="")
    target_agency = serializers.PrimaryKeyRelatedField(queryset=Agency.objects.filter(is_active=True),
                                                       required=False, allow_null=True, default=None)
    legal_basis = serializers.SlugRelatedField(slug_field="code", queryset=LegalBasis.objects.all(),
                                               required=False, allow_null=True, default=None)


class DecisionSerializer(serializers.ModelSerializer):
    decided_by = serializers.CharField(source="decided_by.username")
    status = serializers.CharField(source="referral.status")

    class Meta:
        model = Decision
        fields = ["kind", "justification", "target_agency", "legal_basis", "decided_by", "decided_at", "status"]


class AssignInputSerializer(serializers.Serializer):
    caseworker = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), allow_null=True)


class FeedbackInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Feedback.Kind.choices)
    message = serializers.CharField(max_length=TEXT_MAX_LENGTH, required=False, allow_blank=True, default="")


class NoteInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=TEXT_MAX_LENGTH)


class CaseInputSerializer(serializers.Serializer):
    references = serializers.ListField(child=serializers.CharField(max_length=16), min_length=2, max_length=50)


class ChronologyEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    what = serializers.CharField()
    who = serializers.CharField(allow_blank=True)
    detail = serializers.CharField(allow_blank=True)


def _referral(request, reference: str, action: str) -> Referral:
    referral, _grant = access_referral(user=request.user, reference=reference, action=action)
    return referral


@extend_schema(tags=["triage"])
class DecisionView(APIView):
    """Decide on a referral. A decision not allowed from the current state answers 409."""

    @extend_schema(request=DecisionInputSerializer, responses={201: DecisionSerializer, 409: None})
    def post(self, request, reference: str):
        referral = _referral(request, reference, "referral.decide")
        data = DecisionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        decision = services.referral_decide(actor=request.user, referral=referral, **data.validated_data)
        return Response(DecisionSerializer(decision).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["triage"])
class AssignView(APIView):
    """Assign (or with null, unassign) the referral's caseworker."""

    @extend_schema(request=AssignInputSerializer, responses={200: OpenApiTypes.OBJECT})
    def post(self, request, reference: str):
        referral = _referral(request, reference, "referral.assign")
        data = AssignInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        caseworker = data.validated_data["caseworker"]
        if caseworker is None:
            services.caseworker_unassign(actor=request.user, referral=referral)
        else:
            services.caseworker_assign(actor=request.user, referral=referral, caseworker=caseworker)
        return Response({"caseworker": caseworker.pk if caseworker else None})


@extend_schema(tags=["triage"])
class FeedbackView(APIView):
    """Send feedback to the reporter (they see it on their referral and are notified)."""

    @extend_schema(request=FeedbackInputSerializer, responses={201: OpenApiTypes.OBJECT})
    def post(self, request, reference: str):
        referral = _referral(request, reference, "referral.feedback")
        data = FeedbackInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        feedback = services.feedback_send(actor=request.user, referral=referral, **data.validated_data)
        return Response({"kind": feedback.kind, "sent_at": feedback.sent_at}, status=status.HTTP_201_CREATED)


@extend_schema(tags=["triage"])
class NoteView(APIView):
    """Write an internal note, visible to your own agency only."""

    @extend_schema(request=NoteInputSerializer, responses={201: OpenApiTypes.OBJECT})
    def post(self, request, reference: str):
        referral = _referral(request, reference, "referral.note")
        data = NoteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        note = services.note_add(actor=request.user, referral=referral, text=data.validated_data["text"])
        return Response({"id": note.pk, "created_at": note.created_at}, status=status.HTTP_201_CREATED)


@extend_schema(tags=["triage"])
class ChronologyView(APIView):
    """Everything that happened on the referral, in order (what your access allows)."""

    @extend_schema(responses=ChronologyEntrySerializer(many=True))
    def get(self, request, reference: str):
        entries = selectors.chronology(user=request.user, reference=reference)
        return Response(ChronologyEntrySerializer(entries, many=True).data)


@extend_schema(tags=["triage"])
class CaseCreateView(APIView):
    """Link referrals about one child into one case."""

    @extend_schema(request=CaseInputSerializer, responses={201: OpenApiTypes.OBJECT})
    def post(self, request):
        data = CaseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        referrals = [_referral(request, ref, "case.link") for ref in dict.fromkeys(data.validated_data["references"])]
        case = services.case_link(actor=request.user, referrals=referrals)
        return Response({"case": case.pk, "references": list(case.referrals.values_list("reference", flat=True))},
                        status=status.HTTP_201_CREATED)


@extend_schema(tags=["triage"])
class CaseUnlinkView(APIView):
    """Take a referral out of its case."""

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, case_id: int, reference: str):
        referral = _referral(request, reference, "case.unlink")
        get_object_or_404(Case, pk=case_id, referrals=referral)
        services.case_unlink(actor=request.user, referral=referral)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["triage"])
class CaseChronologyView(APIView):
    """Everything that happened on the case's referrals that you may see, in order."""

    @extend_schema(responses=ChronologyEntrySerializer(many=True))
    def get(self, request, case_id: int):
        entries = selectors.case_chronology(user=request.user, case_id=case_id)
        return Response(CaseChronologyEntrySerializer(entries, many=True).data)


class CaseChronologyEntrySerializer(ChronologyEntrySerializer):
    reference = serializers.CharField()
