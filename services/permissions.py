"""Which role may do what: the menu and every page check the same table."""

from __future__ import annotations

from enum import StrEnum

from sqlmodel import Session, select

from models import Role, StaffUser
from services.errors import PermissionDenied


class Permission(StrEnum):
    ACCOUNT = "account"  # own password
    USERS = "users"  # staff accounts
    REFERENCE = "reference"  # reference data
    BULK_ENTRY = "bulk_entry"  # typing in paper and workshop contributions
    QUESTIONNAIRE = "questionnaire"  # importing questionnaire answers, reading their results
    LIVE = "live"  # live tallies: the organisers' dashboard and the room's screen
    MODERATION = "moderation"  # publish, reject, retheme, tag and mask contributions
    BACKLOG = "backlog"  # how many contributions wait for moderation, per theme (organisers too)
    GROUPING = "grouping"  # confirm, edit, refuse or undo groups of near-duplicate contributions
    DRAFTING = "drafting"  # edit the orientations of the strategy, link them to their sources
    EXPORTS = "exports"  # download the draft strategy and the contributions
    PRIVACY = "privacy"  # access and erasure requests by receipt code
    CIRCUIT = "circuit"  # the treasure hunt's live traffic and the welcome desk's treasure check
    STANDS = "stands"  # create, edit, reorder and import the circuit's stands; print their QR posters
    CATALOGUE = "catalogue"  # edit the PTCE catalogue
    EDITIONS = "editions"  # create, copy, import, set up and archive conference editions
    VOTE = "vote"  # open and close the adequacy check's vote, enter and withdraw paper ballots


_GRANTS: dict[str, frozenset[Permission]] = {
    Role.ORGANIZER.value: frozenset(
        {Permission.ACCOUNT, Permission.LIVE, Permission.BACKLOG, Permission.CIRCUIT, Permission.VOTE}
    ),
    Role.STAFF.value: frozenset(
        {
            Permission.ACCOUNT,
            Permission.BULK_ENTRY,
            Permission.QUESTIONNAIRE,
            Permission.LIVE,
            Permission.MODERATION,
            Permission.BACKLOG,
            Permission.GROUPING,
            Permission.DRAFTING,
            Permission.EXPORTS,
            Permission.PRIVACY,
            Permission.CIRCUIT,
            Permission.CATALOGUE,
            Permission.VOTE,
        }
    ),
    Role.ADMIN.value: frozenset(Permission),
}


def role_allows(role: str | None, permission: Permission) -> bool:
    """True if `role` grants `permission`; an anonymous session (None) has none."""
    return role is not None and permission in _GRANTS.get(role, frozenset())


# The operator at the server's console (manage.py): whoever runs it already holds the store's files or its
# credentials, so the role table does not apply. Not a valid username (space, parentheses), so no account can
# ever be taken for it; pages must never pass it (tests/test_layers.py checks that no page or ui module names it).
CONSOLE_ACTOR = "manage.py (console)"

DENIED = "Action refusée : votre compte n'a pas (ou plus) les droits nécessaires. Reconnectez-vous si besoin."


def require_permission(session: Session, *, actor: str | None, permission: Permission) -> None:
    """Raise PermissionDenied unless `actor` is the console or an active account whose role grants `permission`.

    Read from the store, never from what the caller believes: a role changed or an account deactivated a
    second ago is already in force here, whatever the page cached.
    """
    if actor == CONSOLE_ACTOR:
        return
    user = (
        session.exec(select(StaffUser).where(StaffUser.username == actor)).first()
        if isinstance(actor, str) and actor
        else None
    )
    if user is None or not user.active or not role_allows(user.role, permission):
        raise PermissionDenied(DENIED)
