"""The admin site: superusers, plus agency admins for the rule data their role allows."""

from django.contrib import admin

from agencies import roles


class SamvirkeAdminSite(admin.AdminSite):
    site_header = "Samvirke"
    site_title = "Samvirke"

    def has_permission(self, request):
        user = request.user
        return user.is_active and (user.is_staff or roles.can(user, roles.EDIT_ROUTING_RULES))
