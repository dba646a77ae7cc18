from django.contrib.admin.apps import AdminConfig


class SamvirkeAdminConfig(AdminConfig):
    default_site = "config.admin.SamvirkeAdminSite"
