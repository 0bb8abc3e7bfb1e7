"""The admin site for administrators: accounts (role and active flag), the resource directory,
and which notification e-mails failed. No case content is registered here: administrators have no
case role. Every change goes through a service that writes it to the audit chain (SECURITY.md 8).

Accounts: nobody sets, changes or sees a password here, nor adds an account (people make their
own at /signup/), nor edits superuser, staff, groups or permissions (the role decides those, see
core.backends). Receipt accounts are not shown at all. Nobody edits their own role or flag.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.db import models
from django.db.models import OuterRef, QuerySet, Subquery
from django.forms import ModelForm
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from core.json_limits import BoundedJSONField
from core.models import Role, User
from core.second_factor import second_factor_reset
from support import directory, roles
from support.forms import AccountAdminForm
from support.models import Notification, Resource, RoleRequest, RoleRequestStatus

EDITABLE = ("role", "is_active")
SHOWN = ("username", "first_name", "last_name", "email", "last_login", "date_joined")


def _report(admin_: admin.ModelAdmin, request: HttpRequest, who: object, exc: DomainError) -> None:
    admin_.message_user(
        request,
        gettext("%(account)s: %(reasons)s") % {"account": who, "reasons": " ".join(exc.messages)},
        messages.ERROR,
    )


def _each(
    admin_: admin.ModelAdmin, request: HttpRequest, objects: QuerySet[Any], work: Callable
) -> int:
    """Run `work` on each object, reporting refusals; returns how many went through."""
    done = 0
    for obj in objects:
        try:
            work(obj)
        except DomainError as exc:
            _report(admin_, request, obj, exc)
        else:
            done += 1
    return done


@admin.register(User)
class AccountAdmin(admin.ModelAdmin):
    form = AccountAdminForm
    list_display = ("username", "role", "waiting_role", "is_active", "last_login")
    list_filter = ("role", "is_active")
    search_fields = ("username", "first_name", "last_name", "email")
    fieldsets = (
        (
            None,
            {
                "description": _(
                    "People create their own accounts at /signup/. Give an account a role here: "
                    "a role that reads cases (coordinator, support worker) waits until a "
                    "coordinator confirms it. Nobody can set or see a password here, and nobody "
                    "can change their own role."
                ),
                "fields": (*SHOWN[:4], "role", "waiting_role", "is_active", *SHOWN[4:]),
            },
        ),
    )
    actions = ["reset_second_factor", "disable_accounts", "withdraw_role_requests"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        waiting = RoleRequest.objects.filter(user=OuterRef("pk"), status=RoleRequestStatus.PENDING)
        return (
            super()
            .get_queryset(request)
            .filter(is_receipt_account=False)
            .annotate(waiting=Subquery(waiting.values("role")[:1]))
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        own = obj is not None and obj.pk == request.user.pk
        return (*SHOWN, "waiting_role", *(EDITABLE if own else ()))

    @admin.display(description=_("Role waiting for a coordinator"))
    def waiting_role(self, obj: User) -> str:
        waiting = getattr(obj, "waiting", None)
        return str(Role(waiting).label) if waiting else "—"

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> type[ModelForm]:
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # people sign up themselves

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # disable instead: reports and the audit trail keep their accounts

    def get_urls(self) -> list[URLPattern]:
        # Nothing answers at the password address, whatever the base class may one day add.
        refused = self.admin_site.admin_view(self.no_password)
        return [path("<path:object_id>/password/", refused), *super().get_urls()]

    def no_password(self, request: HttpRequest, object_id: str) -> HttpResponse:
        raise Http404

    def _listed_or_404(self, request: HttpRequest, object_id: str) -> None:
        """An account this page does not list (a receipt account) is not found, not redirected."""
        if self.get_object(request, object_id) is None:
            raise Http404

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        self._listed_or_404(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        self._listed_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        """The role and active flag change through the services, never by saving the form's
        object: the form checked them with the same rules (support.forms.AccountAdminForm)."""
        actor, stored = request.user, User.objects.get(pk=obj.pk)
        steps = [
            (
                "is_active",
                lambda: roles.account_set_active(actor=actor, user=stored, active=obj.is_active),
            ),
            ("role", lambda: roles.role_set(actor=actor, user=stored, role=obj.role)),
        ]
        if not obj.is_active:  # a role change first, then the account disabled
            steps.reverse()
        for field, step in steps:
            if field in form.changed_data:
                try:
                    step()
                except DomainError as exc:  # changed meanwhile by someone else: say so
                    _report(self, request, obj, exc)

    @admin.action(description=_("Reset second factor (they set it up again at next sign-in)"))
    def reset_second_factor(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        done = _each(
            self, request, queryset, lambda u: second_factor_reset(actor=request.user, user=u)
        )
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

    @admin.action(description=_("Disable (they are signed out everywhere)"))
    def disable_accounts(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        done = _each(
            self,
            request,
            queryset,
            lambda u: roles.account_set_active(actor=request.user, user=u, active=False),
        )
        if done:
            self.message_user(
                request,
                ngettext("%(count)d account disabled.", "%(count)d accounts disabled.", done)
                % {"count": done},
            )

    @admin.action(description=_("Withdraw the role waiting for a coordinator"))
    def withdraw_role_requests(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        done = _each(
            self, request, queryset, lambda u: roles.role_withdraw(actor=request.user, user=u)
        )
        if done:
            self.message_user(
                request,
                ngettext("%(count)d request withdrawn.", "%(count)d requests withdrawn.", done)
                % {"count": done},
            )


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    """Every add, change and delete through support.directory, so each is audited."""

    list_display = ("name", "kind", "cost", "active")
    list_filter = ("kind", "active")
    search_fields = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}

    class Media:
        css = {"all": ["css/admin.css"]}

    formfield_overrides = {
        models.URLField: {"assume_scheme": "https"},
        models.JSONField: {"form_class": BoundedJSONField},  # deep nesting: an error, not a 500
    }

    def save_model(self, request: HttpRequest, obj: Resource, form: Any, change: bool) -> None:
        directory.resource_save(actor=request.user, resource=obj)

    def delete_model(self, request: HttpRequest, obj: Resource) -> None:
        directory.resource_delete(actor=request.user, resource=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Resource]) -> None:
        _each(
            self,
            request,
            queryset,
            lambda r: directory.resource_delete(actor=request.user, resource=r),
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Not one that cases' suggestions name (make it inactive instead)."""
        if obj is not None and directory.resource_in_use(obj):
            return False
        return super().has_delete_permission(request, obj)


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
