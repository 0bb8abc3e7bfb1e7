"""Administrators manage the resource directory and can see which notification e-mails failed.
No case content is registered here: administrators have no case role."""

from django.contrib import admin

from support.models import Notification, Resource


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "cost", "active")
    list_filter = ("kind", "active")
    search_fields = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only: who was told, when, and whether the e-mail went out."""

    list_display = (
        "created_at",
        "recipient",
        "kind",
        "email_status",
        "email_attempts",
        "email_error",
    )
    list_filter = ("email_status", "kind")
    readonly_fields = [field.name for field in Notification._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
