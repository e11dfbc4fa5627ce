"""Workflows on firms, clients and users: keyword-only, transactional, audited."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from borrowers.common import audit, queueing
from borrowers.common.errors import DomainError
from borrowers.models import ControlFirm, Invitation, Role, User


@transaction.atomic
def save_record(*, by: User, instance: Model, action: str | None = None) -> Model:
    """Save a new or changed record and keep its before/after in the audit trail."""
    is_new = instance.pk is None
    before = None
    if not is_new:
        previous = type(instance)._default_manager.get(pk=instance.pk)
        before = audit.snapshot(previous)
    instance.full_clean()
    instance.save()
    audit.record(
        actor=by,
        action=action or ("create" if is_new else "update"),
        instance=instance,
        before=before,
        after=audit.snapshot(instance),
    )
    if is_new or before != audit.snapshot(instance):
        valuation_inputs_changed(instance)
    return instance


@transaction.atomic
def delete_record(*, by: User, instance: Model) -> None:
    """Delete a record, keeping what it was in the audit trail."""
    audit.record(actor=by, action="delete", instance=instance, before=audit.snapshot(instance))
    instance.delete()
    valuation_inputs_changed(instance)


def valuation_inputs_changed(instance: Model) -> None:
    """A client's facts, a site or a category changed (or was added or deleted): the valuations
    that read it are recomputed from their stored lines, off the request, once this commits.

    The valuation floor is asked by task name, so this floor imports nothing above it."""
    from borrowers.models import ClientCompany, StockCategory, Warehouse

    if isinstance(instance, ClientCompany):
        scope = {"client_id": instance.pk}
    elif isinstance(instance, Warehouse):
        scope = {"client_id": instance.client_id}
    elif isinstance(instance, StockCategory):
        scope = {"firm_id": instance.firm_id}
    else:
        return
    queueing.send_named_on_commit("valuation.revalue_stale", **scope)


@transaction.atomic
def invite(
    *,
    by: User,
    email: str,
    role: str,
    client: Any = None,
    lender: Any = None,
    base_url: str,
    control_firm: ControlFirm | None = None,
    new_control_firm: str = "",
    facilities: Any = (),
) -> Invitation:
    """Create an expiring invitation and e-mail its link (sent once the transaction commits). A
    stock controller is invited to specific facilities of the firm, as a member of a control firm
    (an existing one, or one named here) or as one of the firm's own staff."""
    if not by.is_advisor:
        raise DomainError(_("Only advisors can invite users."))
    if role == Role.ADVISOR and not by.is_firm_admin:
        raise DomainError(_("Only a firm administrator can invite advisors."), field="role")
    facilities = list(facilities or ())
    if role == Role.CONTROLLER:
        if not facilities:
            raise DomainError(_("Choose the facilities this stock controller is assigned to."), field="facilities")
        if any(f.client.firm_id != by.firm_id for f in facilities) or (
            control_firm is not None and control_firm.firm_id != by.firm_id
        ):
            raise DomainError(_("Choose facilities and a control firm of your own firm."), field="facilities")
        if new_control_firm.strip():
            control_firm, _created = ControlFirm.objects.get_or_create(
                firm_id=by.firm_id, name=new_control_firm.strip()
            )
    else:
        control_firm, facilities = None, []
    invitation = Invitation.objects.create(
        firm_id=by.firm_id,
        email=email.lower(),
        role=role,
        client=client,
        lender=lender,
        control_firm=control_firm,
        invited_by=by,
    )
    invitation.facilities.set(facilities)
    audit.record(actor=by, action="invite", instance=invitation, after=audit.snapshot(invitation, exclude=("token",)))
    link = base_url.rstrip("/") + reverse("accept-invitation", args=[invitation.token])
    firm_name = by.firm.name if by.firm else "StockPledge"
    transaction.on_commit(
        lambda: send_mail(
            subject=_("%(firm)s invites you to StockPledge") % {"firm": firm_name},
            message=_(
                "%(who)s invites you to StockPledge.\n\nSet your password here (the link expires on "
                "%(expiry)s):\n%(link)s\n"
            )
            % {"who": by, "expiry": f"{invitation.expires_at:%Y-%m-%d}", "link": link},
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[invitation.email],
        )
    )
    return invitation


@transaction.atomic
def accept_invitation(*, invitation: Invitation, first_name: str, last_name: str, password: str) -> User:
    """Turn a usable invitation into an active account; an expired or used link is refused."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_usable:
        raise DomainError(_("This invitation has expired or has already been used."))
    if User.objects.filter(email=invitation.email).exists():
        raise DomainError(_("An account with this e-mail address already exists."))
    user = User.objects.create_user(
        invitation.email,
        password,
        first_name=first_name,
        last_name=last_name,
        role=invitation.role,
        firm_id=invitation.firm_id,
        client=invitation.client,
        lender=invitation.lender,
        control_firm=invitation.control_firm,
    )
    if invitation.role == Role.CONTROLLER:
        # Field exams: the controller is assigned to the facilities it was invited to.
        for facility in invitation.facilities.all():
            facility.controller_assignments.create(user=user, assigned_by=invitation.invited_by)
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    audit.record(actor=user, action="accept-invitation", instance=invitation)
    return user


@transaction.atomic
def save_firm_settings(*, by: User, firm: Any, fields: list[str]) -> Any:
    """Save the firm administrator's settings, their before/after in the audit trail (only these
    fields: the firm's logo is no audit matter)."""
    previous = type(firm)._default_manager.get(pk=firm.pk)
    before = {name: str(getattr(previous, name)) for name in fields}
    firm.full_clean()
    firm.save(update_fields=fields)
    after = {name: str(getattr(firm, name)) for name in fields}
    audit.record(actor=by, action="update-firm-settings", instance=firm, before=before, after=after)
    return firm
