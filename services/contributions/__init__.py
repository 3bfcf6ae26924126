"""Recording contributions: every rule checked here, on the server, whatever the form did.

One name for callers (`from services import contributions`, `contributions.submit_from_device`); the work is
in modules named for what they do:
- validation: the draft a form hands over and every rule it must pass;
- idempotency: « is this the same contribution? » (a form's key, or the same text from the same phone);
- submit: storing one contribution, from staff or from a phone;
- batch: staff bulk entry and the questionnaire import, thousands at once;
- supports: « Je soutiens celle-ci »;
- reading: a phone's own contributions and supports, a stand's QR code, the running count, staff entries.
"""

from services.contributions.batch import (
    BULK_SOURCES,
    BatchItem,
    batch_idempotency_key,
    split_pasted_text,
    submit_batch,
)
from services.contributions.idempotency import RESEND_WINDOW, Receipt
from services.contributions.reading import (
    EntryRow,
    OwnContribution,
    StandContext,
    SupportedContribution,
    count_contributions,
    find_open_stand,
    list_device_contributions,
    list_device_supports,
    list_entries_by,
)
from services.contributions.submit import RateLimit, RateLimitExceeded, submit_contribution, submit_from_device
from services.contributions.supports import SupportReceipt, support_contribution
from services.contributions.validation import (
    BODY_MAX_CHARS,
    BODY_MIN_CHARS,
    EXPIRED_FORM,
    IDEMPOTENCY_KEY_MAX,
    NAME_MAX_CHARS,
    ORGANISATION_MAX_CHARS,
    THEME_REQUIRED,
    TITLE_MAX_CHARS,
    ContributionDraft,
    check_author_fields,
)

__all__ = [
    "BODY_MAX_CHARS",
    "BODY_MIN_CHARS",
    "BULK_SOURCES",
    "EXPIRED_FORM",
    "IDEMPOTENCY_KEY_MAX",
    "NAME_MAX_CHARS",
    "ORGANISATION_MAX_CHARS",
    "RESEND_WINDOW",
    "THEME_REQUIRED",
    "TITLE_MAX_CHARS",
    "BatchItem",
    "ContributionDraft",
    "EntryRow",
    "OwnContribution",
    "RateLimit",
    "RateLimitExceeded",
    "Receipt",
    "StandContext",
    "SupportReceipt",
    "SupportedContribution",
    "batch_idempotency_key",
    "check_author_fields",
    "count_contributions",
    "find_open_stand",
    "list_device_contributions",
    "list_device_supports",
    "list_entries_by",
    "split_pasted_text",
    "submit_batch",
    "submit_contribution",
    "submit_from_device",
    "support_contribution",
]
