from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import task_admin  # noqa: F401  (django-q2's admin pages, read-only)
from core.errors import DomainError
from core.models import User
from core.second_factor import second_factor_reset

# django-otp's own admin pages show device secrets; nobody here may read another's secret.
for model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


@admin.register(User)
class RecourseUserAdmin(UserAdmin):
    list_display = ("username", "role", "is_active", "last_login")
    list_filter = ("role", "is_active")
    fieldsets = (*UserAdmin.fieldsets, (_("Recourse"), {"fields": ("role",)}))  # type: ignore[misc]
    actions = ["reset_second_factor"]

    @admin.action(description=_("Reset second factor (they set it up again at next sign-in)"))
    def reset_second_factor(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        done = 0
        for user in queryset:
            try:
                second_factor_reset(actor=request.user, user=user)  # type: ignore[arg-type]
            except DomainError as exc:
                self.message_user(
                    request,
                    gettext("%(account)s: %(reasons)s")
                    % {"account": user, "reasons": " ".join(exc.messages)},
                    messages.ERROR,
                )
            else:
                done += 1
        if done:
            self.message_user(
                request,
                ngettext(
                    "Second factor reset for %(count)d account.",
                    "Second factor reset for %(count)d accounts.",
                    done,
                )
                % {"count": done},
            )
