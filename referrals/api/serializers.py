from rest_framework import serializers

from agencies.models import Agency, Municipality

from .. import services
from ..models import (
    CONCERN_MAX_LENGTH,
    Addendum,
    Category,
    ChildMatch,
    Consent,
    DutyTrigger,
    Guardian,
    Identifier,
    Indicator,
    Notification,
    PersonOfConcern,
    Platform,
    Referral,
    Routing,
)
from ..models.consent import TEXT_MAX_LENGTH

# --- input ------------------------------------------------------------------------------


class ChildInputSerializer(serializers.Serializer):
    given_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    family_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    date_of_birth = serializers.DateField(required=False, allow_null=True, default=None)
    national_id = serializers.CharField(
        max_length=20, required=False, allow_blank=True, default="", write_only=True,
        help_text="Fødselsnummer or D-number, 11 digits. Stored encrypted; never returned.",
    )
    age_uncertain = serializers.BooleanField(required=False, default=False)
    estimated_age = serializers.IntegerField(min_value=0, max_value=17, required=False, allow_null=True,
                                             default=None)
    nationality = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    language = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    interpreter_needed = serializers.BooleanField(required=False, default=False)
    unaccompanied_minor = serializers.BooleanField(required=False, default=False)
    safe_contact = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    school = serializers.PrimaryKeyRelatedField(
        queryset=Agency.objects.filter(kind=Agency.Kind.SCHOOL, is_active=True), required=False,
        allow_null=True, default=None,
    )
    school_class = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    municipality = serializers.SlugRelatedField(
        slug_field="number", queryset=Municipality.objects.all(), required=False, allow_null=True,
        default=None, help_text="Four-digit municipality number; defaults to the school's or the reporting agency's.",
    )


class GuardianInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    contact = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    informed = serializers.BooleanField()
    not_informed_reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class PersonInputSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=PersonOfConcern.Role.choices)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    description = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class IdentifierInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Identifier.Kind.choices)
    value = serializers.CharField(max_length=200)
    platform = serializers.ChoiceField(choices=Platform.choices, required=False, allow_blank=True, default="")


class FilingConsentInputSerializer(serializers.Serializer):
    given_by = serializers.ChoiceField(choices=Consent.Giver.choices,
                                       help_text="From 15 the child; under 15 a guardian given in `guardians`.")
    form = serializers.ChoiceField(choices=Consent.Form.choices)
    child_view = serializers.ChoiceField(choices=Consent.View.choices, help_text="The child has a right to be heard.")
    child_view_note = serializers.CharField(max_length=TEXT_MAX_LENGTH, required=False, allow_blank=True, default="")


class ReferralInputSerializer(serializers.Serializer):
    reporting_agency = serializers.PrimaryKeyRelatedField(
        queryset=Agency.objects.filter(is_active=True), required=False, allow_null=True, default=None,
        help_text="The agency you report for; may be left out when you report for only one.",
    )
    child = ChildInputSerializer()
    categories = serializers.ListField(child=serializers.CharField(max_length=1), max_length=6, required=False,
                                       default=list, help_text="Category codes A-F (see /api/v1/taxonomy/).")
    indicators = serializers.ListField(child=serializers.CharField(max_length=40), max_length=60,
                                       required=False, default=list,
                                       help_text="Indicator codes (see /api/v1/taxonomy/); they imply their category.")
    duty_triggers = serializers.ListField(child=serializers.ChoiceField(choices=DutyTrigger.choices),
                                          max_length=5, required=False, default=list,
                                          help_text="barnevernsloven § 13-2: any ticked makes the report mandatory.")
    platforms = serializers.ListField(child=serializers.ChoiceField(choices=Platform.choices), max_length=6,
                                      required=False, default=list)
    concern = serializers.CharField(max_length=CONCERN_MAX_LENGTH, required=False, allow_blank=True, default="")
    observed_on = serializers.DateField(required=False, allow_null=True, default=None)
    observed_where = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    emergency_called = serializers.BooleanField(required=False, default=False)
    emergency_called_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    guardians = GuardianInputSerializer(many=True, required=False, default=list, max_length=2)
    people = PersonInputSerializer(many=True, required=False, default=list, max_length=10)
    identifiers = IdentifierInputSerializer(many=True, required=False, default=list, max_length=30)
    consent = FilingConsentInputSerializer(
        required=False, allow_null=True, default=None,
        help_text="A consent the child or a guardian gave to share the concern. Needed only below the duty to "
                  "report: without it, routings that rest on consent go as consultations without the child's "
                  "identity.")

    def to_referral_data(self) -> services.ReferralData:
        v = self.validated_data
        return services.ReferralData(
            child=services.ChildData(**v["child"]),
            categories=tuple(v["categories"]), indicators=tuple(v["indicators"]),
            duty_triggers=tuple(v["duty_triggers"]), platforms=tuple(v["platforms"]),
            concern=v["concern"], observed_on=v["observed_on"], observed_where=v["observed_where"],
            emergency_called=v["emergency_called"], emergency_called_at=v["emergency_called_at"],
            guardians=tuple(services.GuardianData(**g) for g in v["guardians"]),
            people=tuple(services.PersonData(**p) for p in v["people"]),
            identifiers=tuple(services.IdentifierData(**i) for i in v["identifiers"]),
            consent=services.ConsentData(**v["consent"]) if v["consent"] else None,
        )


class ReferralCreateSerializer(ReferralInputSerializer):
    submit = serializers.BooleanField(
        required=False, default=True,
        help_text="true (default): submit now; false: save a draft you can edit and submit later.",
    )


class AddendumInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=CONCERN_MAX_LENGTH)


# --- output -----------------------------------------------------------------------------


class AgencyBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Agency
        fields = ["id", "name", "kind"]


class ChildSerializer(serializers.Serializer):
    given_name = serializers.CharField()
    family_name = serializers.CharField()
    date_of_birth = serializers.DateField(allow_null=True)
    has_national_id = serializers.BooleanField()
    age_uncertain = serializers.BooleanField()
    estimated_age = serializers.IntegerField(allow_null=True)
    nationality = serializers.CharField()
    language = serializers.CharField()
    interpreter_needed = serializers.BooleanField()
    unaccompanied_minor = serializers.BooleanField()
    safe_contact = serializers.CharField()
    school = serializers.CharField(source="school.name", allow_null=True, default=None)
    school_class = serializers.CharField()
    municipality = serializers.CharField(source="municipality.number")
    identity_withheld = serializers.SerializerMethodField(
        help_text="Received as a consultation without identity: name, date of birth, national identity number, "
                  "school, class and safe contact are left out until a consent covers your agency.")

    def get_identity_withheld(self, obj) -> bool:
        return getattr(obj, "identity_withheld", False)


class GuardianSerializer(serializers.ModelSerializer):
    class Meta:
        model = Guardian
        fields = ["position", "name", "contact", "informed", "not_informed_reason"]


class PersonSerializer(serializers.ModelSerializer):
    class Meta:
        model = PersonOfConcern
        fields = ["role", "name", "description"]


class IdentifierSerializer(serializers.ModelSerializer):
    class Meta:
        model = Identifier
        fields = ["kind", "platform", "value"]


class AddendumSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.get_full_name")

    class Meta:
        model = Addendum
        fields = ["text", "author", "created_at"]


class RoutingSerializer(serializers.ModelSerializer):
    agency = AgencyBriefSerializer(read_only=True)
    legal_basis = serializers.CharField(source="legal_basis.code")
    legal_basis_text = serializers.CharField(source="legal_basis.law_reference")
    rules = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    reasons = serializers.SerializerMethodField()

    class Meta:
        model = Routing
        fields = ["agency", "legal_basis", "legal_basis_text", "rules", "reasons", "is_fallback",
                  "acknowledge_by", "created_at"]

    def get_reasons(self, obj) -> list[str]:
        from ..presentation import routing_reasons

        return routing_reasons(obj)


class ReferralSerializer(serializers.ModelSerializer):
    child = ChildSerializer(read_only=True)
    reporting_agency = AgencyBriefSerializer(read_only=True)
    categories = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    indicators = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    guardians = GuardianSerializer(many=True, read_only=True)
    people = PersonSerializer(many=True, read_only=True, source="people_of_concern")
    identifiers = IdentifierSerializer(many=True, read_only=True)
    addenda = AddendumSerializer(many=True, read_only=True)
    routings = RoutingSerializer(many=True, read_only=True)
    is_mandatory = serializers.BooleanField(read_only=True)

    class Meta:
        model = Referral
        fields = ["reference", "status", "urgency", "categories", "indicators", "duty_triggers", "is_mandatory",
                  "platforms", "concern", "observed_on", "observed_where", "emergency_called",
                  "emergency_called_at", "created_at", "submitted_at", "child", "guardians", "people",
                  "identifiers", "addenda", "reporting_agency", "routings"]
        read_only_fields = fields


class MatchSerializer(serializers.ModelSerializer):
    given_name = serializers.CharField(source="candidate.given_name")
    family_name = serializers.CharField(source="candidate.family_name")
    date_of_birth = serializers.DateField(source="candidate.date_of_birth")
    references = serializers.SerializerMethodField()

    class Meta:
        model = ChildMatch
        fields = ["method", "score", "status", "given_name", "family_name", "date_of_birth", "references"]

    def get_references(self, obj) -> list[str]:
        return [r.reference for r in obj.candidate.referrals.all()]


class LinkSerializer(serializers.Serializer):
    kind = serializers.CharField(source="identifier.kind")
    value = serializers.CharField(source="identifier.value")
    visible = serializers.BooleanField()
    reference = serializers.SerializerMethodField(help_text="Only when you may see the other referral.")

    def get_reference(self, obj) -> str | None:
        return obj.other.reference if obj.visible else None


class ReferralCoordinatorSerializer(ReferralSerializer):
    """What the receiving agencies see: the referral plus possible matches and links."""

    match_suggestions = serializers.SerializerMethodField()
    identifier_links = serializers.SerializerMethodField()

    class Meta(ReferralSerializer.Meta):
        fields = ReferralSerializer.Meta.fields + ["match_suggestions", "identifier_links"]
        read_only_fields = fields

    def get_match_suggestions(self, obj) -> list[dict]:
        return MatchSerializer(self.context.get("matches", []), many=True).data

    def get_identifier_links(self, obj) -> list[dict]:
        return LinkSerializer(self.context.get("links", []), many=True).data


class ReferralListSerializer(serializers.ModelSerializer):
    child_name = serializers.CharField(source="child.full_name", read_only=True)
    reporting_agency = serializers.CharField(source="reporting_agency.name", read_only=True)
    categories = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Referral
        fields = ["reference", "status", "categories", "urgency", "submitted_at", "child_name",
                  "reporting_agency"]
        read_only_fields = fields


class QueueRowSerializer(serializers.Serializer):
    """One row of an agency's queue (a routing), with its deadline state as a badge."""

    reference = serializers.CharField(source="referral.reference")
    status = serializers.CharField(source="referral.status")
    urgency = serializers.CharField()
    categories = serializers.SerializerMethodField()
    submitted_at = serializers.DateTimeField(source="referral.submitted_at")
    due_at = serializers.DateTimeField()
    deadline_state = serializers.SerializerMethodField()
    child_name = serializers.CharField(source="referral.child.full_name")
    municipality = serializers.CharField(source="referral.child.municipality.number")
    reporting_agency = serializers.CharField(source="referral.reporting_agency.name")
    caseworker = serializers.CharField(source="referral.caseworker.username", default=None, allow_null=True)

    def get_categories(self, obj) -> list[str]:
        return [c.code for c in obj.referral.categories.all()]

    def get_deadline_state(self, obj) -> str:
        from ..queue import deadline_state

        return deadline_state(obj, self.context["now"])


class QueuePageSerializer(serializers.Serializer):
    """The queue response (documentation only)."""

    queue = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    counts = serializers.DictField()
    results = QueueRowSerializer(many=True)


class IndicatorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Indicator
        fields = ["code", "text_nb", "text_en"]


class CategorySerializer(serializers.ModelSerializer):
    indicators = serializers.SerializerMethodField()

    class Meta:
        model = Category
        fields = ["code", "name_nb", "name_en", "urgency", "indicators"]

    def get_indicators(self, obj) -> list[dict]:
        return IndicatorSerializer([i for i in obj.indicators.all() if i.is_active], many=True).data


class NotificationSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(source="referral.reference", read_only=True, default=None)
    handover = serializers.CharField(source="handover.reference", read_only=True, default=None)
    event_text = serializers.CharField(source="get_event_display", read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "event", "event_text", "reference", "handover", "created_at", "delivered_at", "read_at"]
        read_only_fields = fields
