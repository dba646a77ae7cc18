from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from audit.admin import AuditedAdminMixin

from .models import Agency, Membership, Municipality, PoliceDistrict, User
from .services import user_sessions_end


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["agency"]


@admin.register(User)
class UserAdmin(AuditedAdminMixin, BaseUserAdmin):
    inlines = [MembershipInline]
    fieldsets = BaseUserAdmin.fieldsets + ((None, {"fields": ("language", "sessions_revoked_at")}),)
    readonly_fields = ["sessions_revoked_at"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            # Unticking "active" ends the person's sessions and deletes their API tokens.
            user_sessions_end(actor=request.user, user=obj, reason="deactivated")


@admin.register(PoliceDistrict)
class PoliceDistrictAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(Municipality)
class MunicipalityAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "number", "police_district"]
    search_fields = ["name", "number"]


@admin.register(Agency)
class AgencyAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "municipality", "police_district", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name"]
