"""Field exams (issue 16): which stock controllers work on a facility. An advisor assigns an
existing controller of the firm (a new one comes through an invitation, borrowers.services.invite)
or withdraws it; both audited."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from borrowers.common import audit
from borrowers.common.errors import DomainError
from borrowers.models import Role, User
from facilities.models import ControllerAssignment, Facility


def firm_controllers(firm_id: int):  # type: ignore[no-untyped-def]
    """The firm's active controller users (of its control firms and its own staff)."""
    return User.objects.filter(role=Role.CONTROLLER, firm_id=firm_id, is_active=True).select_related("control_firm")


@transaction.atomic
def assign_controller(*, facility: Facility, user: User, by: User) -> ControllerAssignment:
    if not (by.is_advisor and facility.client.firm_id == by.firm_id):
        raise DomainError(_("Only the firm's advisors assign stock controllers."))
    if not firm_controllers(by.firm_id).filter(pk=user.pk).exists():
        raise DomainError(_("Choose a stock controller of your firm."), field="user")
    assignment, created = ControllerAssignment.objects.get_or_create(
        facility=facility, user=user, defaults={"assigned_by": by}
    )
    if created:
        audit.record(actor=by, action="assign-controller", instance=facility, after={"controller": user.email})
    return assignment


@transaction.atomic
def withdraw_controller(*, assignment: ControllerAssignment, by: User) -> None:
    """The controller no longer works on the facility: its exams there close to it (access)."""
    facility = assignment.facility
    if not (by.is_advisor and facility.client.firm_id == by.firm_id):
        raise DomainError(_("Only the firm's advisors withdraw stock controllers."))
    email = assignment.user.email
    assignment.delete()
    audit.record(actor=by, action="withdraw-controller", instance=facility, before={"controller": email})
