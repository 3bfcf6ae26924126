"""Near-duplicate contributions of one theme: proposed by likeness of meaning and words (services.semantics),
each member with the reason it is there, decided by staff.

A confirmed group only adds rows (the group and its members): every contribution stays, with its author,
its supports and its stance, and undoing a group gives them back their own place in the draft.

One name for callers (`services.grouping.propose_groups`); the work is done in `similarity` (how alike texts
are), `reasons` (why a member is in its group), `members` (the rules a group's members follow), `proposals`,
`listing`, `edits` and `decisions`.
"""

from services.grouping.decisions import confirm_group, refuse_group, undo_group
from services.grouping.edits import (
    RECEIPT_CODES_MAX,
    GroupChange,
    edit_group,
    group_history,
    split_receipt_codes,
    undo_last_edit,
)
from services.grouping.listing import GroupView, MemberView, list_groups
from services.grouping.members import EDITABLE_STATUSES, ENTITY, GROUPABLE_STATUSES, REPRESENTATIVE_MAX_CHARS
from services.grouping.proposals import THEME_REQUIRED, GroupPlan, plan_groups, propose_groups
from services.grouping.similarity import (
    DEFAULT_THRESHOLD,
    MAX_GROUP_SIZE,
    MAX_THRESHOLD,
    MIN_THRESHOLD,
    cluster_texts,
    default_threshold,
    min_threshold,
    uses_meaning,
)

__all__ = [
    "DEFAULT_THRESHOLD",
    "EDITABLE_STATUSES",
    "ENTITY",
    "GROUPABLE_STATUSES",
    "MAX_GROUP_SIZE",
    "MAX_THRESHOLD",
    "MIN_THRESHOLD",
    "RECEIPT_CODES_MAX",
    "REPRESENTATIVE_MAX_CHARS",
    "THEME_REQUIRED",
    "GroupChange",
    "GroupPlan",
    "GroupView",
    "MemberView",
    "cluster_texts",
    "confirm_group",
    "default_threshold",
    "edit_group",
    "group_history",
    "list_groups",
    "min_threshold",
    "plan_groups",
    "propose_groups",
    "refuse_group",
    "split_receipt_codes",
    "undo_group",
    "undo_last_edit",
    "uses_meaning",
]
