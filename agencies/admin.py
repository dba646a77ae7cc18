from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from audit.admin import AuditedAdminMixin

from .models import Agency, Membership, Municipality, PoliceDistrict, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["agency"]


@admin.register(User)
class UserAdmin(AuditedAdminMixin, BaseUserAdmin):
    inlines = [MembershipInline]
    fieldsets = BaseUserAdmin.fieldsets + ((None, {"fields": ("language",)}),)


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
