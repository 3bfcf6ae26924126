"""Drafting the strategy: orientations per theme, their versions and diffs, staff comments, traceability links.

One name for callers (`services.drafting.edit_orientation`); the work is done in `orientations` (the draft
itself), `versions`, `comments`, `links` (what staff link), `sources` (what stands behind an orientation, and
what a contribution fed) and `stances` (what the room said of each orientation).
"""

from services.drafting.comments import COMMENT_MAX_CHARS, CommentView, add_comment, list_comments
from services.drafting.links import link_sources, unlink_source
from services.drafting.orientations import (
    BODY_MAX_CHARS,
    ENTITY,
    NOTE_MAX_CHARS,
    THEME_REQUIRED,
    TITLE_MAX_CHARS,
    OrientationView,
    add_orientation,
    edit_orientation,
    get_orientation,
    list_draft_orientations,
    move_orientation,
)
from services.drafting.sources import (
    FedOrientation,
    SourceRow,
    SourceSummary,
    ThemeContribution,
    contribution_orientations,
    orientation_sources,
    orientation_sources_many,
    summarise,
    theme_contributions,
)
from services.drafting.stances import (
    COOKIE_CAVEAT,
    NOT_ON_BALLOT,
    StanceFigures,
    figures_of,
    stance_figures,
    stance_sentence,
    stance_split,
)
from services.drafting.versions import VersionView, diff_versions, list_versions, word_diff

__all__ = [
    "BODY_MAX_CHARS",
    "COMMENT_MAX_CHARS",
    "COOKIE_CAVEAT",
    "ENTITY",
    "NOTE_MAX_CHARS",
    "NOT_ON_BALLOT",
    "THEME_REQUIRED",
    "TITLE_MAX_CHARS",
    "CommentView",
    "FedOrientation",
    "OrientationView",
    "SourceRow",
    "SourceSummary",
    "StanceFigures",
    "ThemeContribution",
    "VersionView",
    "add_comment",
    "add_orientation",
    "contribution_orientations",
    "diff_versions",
    "edit_orientation",
    "figures_of",
    "get_orientation",
    "link_sources",
    "list_comments",
    "list_draft_orientations",
    "list_versions",
    "move_orientation",
    "orientation_sources",
    "orientation_sources_many",
    "stance_figures",
    "stance_sentence",
    "stance_split",
    "summarise",
    "theme_contributions",
    "unlink_source",
    "word_diff",
]
