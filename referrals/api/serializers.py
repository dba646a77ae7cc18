from rest_framework import serializers

from agencies.models import Agency, Municipality

from ..models import CONCERN_MAX_LENGTH, Category, Child, Notification, Referral, Routing
from ..routing import legal_basis_text, reason_text


class ChildInputSerializer(serializers.Serializer):
    given_name = serializers.CharField(max_length=100)
    family_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    date_of_birth = serializers.DateField(required=False, allow_null=True, default=None)
    estimated_age = serializers.IntegerField(min_value=0, max_value=17, required=False, allow_null=True,
                                             default=None)
    municipality = serializers.SlugRelatedField(
        slug_field="number", queryset=Municipality.objects.all(), required=False, allow_null=True,
        default=None, help_text="Four-digit municipality number; defaults to the reporting agency's.",
    )


class ReferralCreateSerializer(serializers.Serializer):
    reporting_agency = serializers.PrimaryKeyRelatedField(
        queryset=Agency.objects.filter(is_active=True), required=False, allow_null=True, default=None,
        help_text="The agency you report for; may be left out when you report for only one.",
    )
    child = ChildInputSerializer()
    category = serializers.ChoiceField(choices=Category.choices)
    concern = serializers.CharField(max_length=CONCERN_MAX_LENGTH)


class AgencyBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Agency
        fields = ["id", "name", "kind"]


class ChildSerializer(serializers.ModelSerializer):
    municipality = serializers.SlugRelatedField(slug_field="number", read_only=True)

    class Meta:
        model = Child
        fields = ["given_name", "family_name", "date_of_birth", "estimated_age", "municipality"]


class RoutingSerializer(serializers.ModelSerializer):
    agency = AgencyBriefSerializer(read_only=True)
    reason_text = serializers.SerializerMethodField()
    legal_basis_text = serializers.SerializerMethodField()

    class Meta:
        model = Routing
        fields = ["agency", "reason", "reason_text", "legal_basis", "legal_basis_text", "created_at"]

    def get_reason_text(self, obj) -> str:
        return reason_text(obj.reason)

    def get_legal_basis_text(self, obj) -> str:
        return legal_basis_text(obj.legal_basis)


class ReferralSerializer(serializers.ModelSerializer):
    child = ChildSerializer(read_only=True)
    reporting_agency = AgencyBriefSerializer(read_only=True)
    routings = RoutingSerializer(many=True, read_only=True)

    class Meta:
        model = Referral
        fields = ["reference", "status", "category", "urgency", "concern", "submitted_at", "child",
                  "reporting_agency", "routings"]
        read_only_fields = fields


class ReferralListSerializer(serializers.ModelSerializer):
    child_name = serializers.CharField(source="child.full_name", read_only=True)
    reporting_agency = serializers.CharField(source="reporting_agency.name", read_only=True)

    class Meta:
        model = Referral
        fields = ["reference", "status", "category", "urgency", "submitted_at", "child_name",
                  "reporting_agency"]
        read_only_fields = fields


class NotificationSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(source="referral.reference", read_only=True, default=None)
    event_text = serializers.CharField(source="get_event_display", read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "event", "event_text", "reference", "created_at", "delivered_at", "read_at"]
        read_only_fields = fields
