from django.contrib import admin
from django.forms.models import model_to_dict

from .models import AuditEvent, SealedBlock
from .recorder import record


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only view of the trail for superusers; auditors get their own pages."""

    list_display = ["occurred_at", "actor_username", "agency", "role", "action", "outcome",
                    "target_type", "target_id"]
    list_filter = ["outcome", "action"]
    search_fields = ["actor_username", "action", "target_id", "request_id"]
    date_hierarchy = "occurred_at"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AuditedAdminMixin:
    """Admin changes (memberships, agencies, users) are audit events like any other write.

    The admin wraps each change in a transaction, so the event commits with the change.
    """

    audit_exclude = ("password",)

    def _snapshot(self, obj):
        def plain(value):
            if isinstance(value, (list, tuple, set)):
                return [getattr(v, "pk", v) for v in value]
            return getattr(value, "pk", value)

        return {k: plain(v) for k, v in model_to_dict(obj).items() if k not in self.audit_exclude}

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        changed = [f for f in form.changed_data if f not in self.audit_exclude]
        record(
            action=f"admin.{obj._meta.model_name}.{'changed' if change else 'created'}",
            actor=request.user,
            target=obj,
            changes={"fields": changed, "after": {k: v for k, v in self._snapshot(obj).items() if k in changed}},
        )

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects + [o for o, _ in formset.changed_objects]:
            record(action=f"admin.{obj._meta.model_name}.saved", actor=request.user, target=obj,
                   changes={"after": self._snapshot(obj)})
        for obj in formset.deleted_objects:
            record(action=f"admin.{obj._meta.model_name}.deleted", actor=request.user,
                   target_type=obj._meta.label_lower, target_id=obj.pk)

    def delete_model(self, request, obj):
        record(action=f"admin.{obj._meta.model_name}.deleted", actor=request.user,
               target_type=obj._meta.label_lower, target_id=obj.pk, changes={"before": self._snapshot(obj)})
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            record(action=f"admin.{obj._meta.model_name}.deleted", actor=request.user,
                   target_type=obj._meta.label_lower, target_id=obj.pk,
                   changes={"before": self._snapshot(obj)})
        super().delete_queryset(request, queryset)


@admin.register(SealedBlock)
class SealedBlockAdmin(admin.ModelAdmin):
    """Read-only list of the hash chain; `manage.py verify_audit` checks it."""

    list_display = ["number", "first_event_id", "last_event_id", "event_count", "block_hash", "sealed_at"]
    fields = ["number", "first_event_id", "last_event_id", "event_count", "previous_hash", "block_hash",
              "sealed_at"]
    readonly_fields = fields
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
