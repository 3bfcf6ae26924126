"""Moderation of contributions by staff: the queue, publish / reject, theme, tags, masking, audit trail.

One name for callers (`services.moderation.publish`, `from services.moderation import QueueFilter`); the work
is done in `personal_data` (detecting and masking), `queue` (what staff read), `decisions` (what they change)
and `tags`.
"""

from services.moderation.decisions import (
    CATEGORY_REQUIRED,
    REASON_MAX_CHARS,
    THEME_REQUIRED,
    change_theme,
    mask_automatically,
    publish,
    reject,
    return_to_queue,
    set_masked_text,
)
from services.moderation.personal_data import (
    PERSONAL_DATA_KINDS,
    PersonalDataHit,
    detect_personal_data,
    french_given_names,
    mask_personal_data,
)
from services.moderation.queue import (
    ENTITY,
    QUEUE_LIMIT,
    BacklogRow,
    HistoryEntry,
    QueueFilter,
    QueueItem,
    backlog_by_theme,
    contribution_history,
    get_item,
    list_queue,
)
from services.moderation.tags import MAX_TAGS_PER_ACTION, TAG_MAX_CHARS, add_tags, list_tags, remove_tag, split_tags

__all__ = [
    "CATEGORY_REQUIRED",
    "ENTITY",
    "MAX_TAGS_PER_ACTION",
    "PERSONAL_DATA_KINDS",
    "QUEUE_LIMIT",
    "REASON_MAX_CHARS",
    "TAG_MAX_CHARS",
    "THEME_REQUIRED",
    "BacklogRow",
    "HistoryEntry",
    "PersonalDataHit",
    "QueueFilter",
    "QueueItem",
    "add_tags",
    "backlog_by_theme",
    "change_theme",
    "contribution_history",
    "detect_personal_data",
    "french_given_names",
    "get_item",
    "list_queue",
    "list_tags",
    "mask_automatically",
    "mask_personal_data",
    "publish",
    "reject",
    "remove_tag",
    "return_to_queue",
    "set_masked_text",
    "split_tags",
]
