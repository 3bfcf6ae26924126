"""Access and erasure of personal data (GDPR), and the retention purge of `manage.py purge-personal-data`.

A person is found by a receipt code, a device token or a questionnaire resume code. Erasure removes the
personal fields (name, organisation, email, the link to the phone) and masks personal data in the text;
the text itself stays, anonymised, for the public-interest strategy. It reaches every copy the app made:
the rejection reason, the audit trail (each event stays, the text it held is dropped), the masked copies
kept there, the groups' representative texts, the questionnaire's open answers, and the phone's identifier
(replaced by one nobody holds, so its supports and visits still count, linked to no one). The erasure's own
audit event records which fields were erased, never their values.

On SQLite the erasing transaction runs with `secure_delete`, and `release_erased_pages` (called once it is
committed) checkpoints the write-ahead log: the erased text is then no longer in the database file either.

One name for callers (`from services import privacy`); the work is in lookup (access), scrub (finding and
masking erased values in every copy), erasure (on request, and the retention purge) and self_service (the
person's own request with their receipt or resume code, « Mes données »).
"""

from services.privacy.erasure import (
    ERASED_TOKEN_PREFIX,
    ErasureReport,
    erase_personal_data,
    purge_every_edition,
    purge_personal_data,
    release_erased_pages,
    retention_cutoff,
)
from services.privacy.lookup import (
    CODE_MAX_CHARS,
    ContributionRecord,
    PersonalData,
    ResponseRecord,
    find_personal_data,
    personal_data_json,
)
from services.privacy.scrub import AUDIT_TEXT_KEYS, ERASED
from services.privacy.self_service import (
    SELF_CODE_MAX_CHARS,
    erase_my_personal_data,
    my_personal_data,
    participant_actor,
)

__all__ = [
    "AUDIT_TEXT_KEYS",
    "CODE_MAX_CHARS",
    "ERASED",
    "ERASED_TOKEN_PREFIX",
    "SELF_CODE_MAX_CHARS",
    "ContributionRecord",
    "ErasureReport",
    "PersonalData",
    "ResponseRecord",
    "erase_my_personal_data",
    "erase_personal_data",
    "find_personal_data",
    "my_personal_data",
    "participant_actor",
    "personal_data_json",
    "purge_every_edition",
    "purge_personal_data",
    "release_erased_pages",
    "retention_cutoff",
]
