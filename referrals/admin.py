"""Admin for the data that steers intake: taxonomy, legal bases and routing rules.

Agency admins (role matrix: EDIT_ROUTING_RULES) and superusers edit these; every change is
an audit event. Case data (children, referrals) is not browsable here: it is read only
through the audited pages and API."""

from django.contrib import admin

from agencies import roles
from audit.admin import AuditedAdminMixin

from .models import Category, Indicator, LegalBasis, RoutingRule


class RuleEditorPermissions:
    """Superusers, and agency admins by the role matrix."""

    def _may_edit(self, request) -> bool:
        return request.user.is_active and (request.user.is_superuser
                                           or roles.can(request.user, roles.EDIT_ROUTING_RULES))

    def has_module_permission(self, request):
        return self._may_edit(request)

    def has_view_permission(self, request, obj=None):
        return self._may_edit(request)

    def has_add_permission(self, request):
        return self._may_edit(request)

    def has_change_permission(self, request, obj=None):
        return self._may_edit(request)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class IndicatorInline(admin.TabularInline):
    model = Indicator
    extra = 0
    fields = ["code", "text_nb", "text_en", "order", "is_active"]


@admin.register(Category)
class CategoryAdmin(RuleEditorPermissions, AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name_nb", "name_en", "urgency"]
    inlines = [IndicatorInline]


@admin.register(LegalBasis)
class LegalBasisAdmin(RuleEditorPermissions, AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["code", "law_reference", "allows_without_consent", "agency_kinds"]


@admin.register(RoutingRule)
class RoutingRuleAdmin(RuleEditorPermissions, AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "target_kind", "legal_basis", "priority", "is_active"]
    list_filter = ["is_active", "target_kind"]
    list_editable = ["priority", "is_active"]
    filter_horizontal = ["categories", "indicators"]
    search_fields = ["name", "reason_nb", "reason_en"]
