"""Every table of the store; importing this package registers them all on SQLModel.metadata."""

from models.base import (
    ActorType,
    DisplayMode,
    GroupStatus,
    LinkRelation,
    ModerationStatus,
    OrientationStatus,
    QuestionType,
    RejectionCategory,
    Role,
    Source,
    Stance,
    UTCDateTime,
    utcnow,
)
from models.circuit import Stand, StandVisit
from models.contribution import (
    Contribution,
    ContributionGroup,
    ContributionGroupMember,
    ContributionSupport,
    ContributionTag,
    ContributionTally,
    ContributionTallyPause,
    Tag,
)
from models.edition import Edition, EditionStatus
from models.health import HealthProbe
from models.orientation import Orientation, OrientationComment, OrientationLink, OrientationVersion
from models.participant import Participant
from models.questionnaire import (
    Answer,
    ImportBatch,
    ImportMapping,
    Question,
    Questionnaire,
    QuestionnaireResponse,
    QuestionnaireSection,
)
from models.reference import Departement, KeyFigure, Ptce, SupportScheme, Theme
from models.staff import AuditEvent, LoginAttempt, StaffUser
from models.throttle import ThrottleEvent
from models.vector import ContributionVector
from models.vote import OrientationVote, PaperBallot, VoteChoice, VoteEvent, VoteOrigin, VoteTally, VoteTallyTime

__all__ = [
    "ActorType",
    "Answer",
    "AuditEvent",
    "Contribution",
    "ContributionGroup",
    "ContributionGroupMember",
    "ContributionSupport",
    "ContributionTag",
    "ContributionTally",
    "ContributionTallyPause",
    "ContributionVector",
    "Departement",
    "DisplayMode",
    "Edition",
    "EditionStatus",
    "GroupStatus",
    "HealthProbe",
    "ImportBatch",
    "ImportMapping",
    "KeyFigure",
    "LinkRelation",
    "LoginAttempt",
    "ModerationStatus",
    "Orientation",
    "OrientationComment",
    "OrientationLink",
    "OrientationStatus",
    "OrientationVersion",
    "OrientationVote",
    "PaperBallot",
    "Participant",
    "Ptce",
    "Question",
    "QuestionType",
    "Questionnaire",
    "QuestionnaireResponse",
    "QuestionnaireSection",
    "RejectionCategory",
    "Role",
    "Source",
    "StaffUser",
    "Stance",
    "Stand",
    "StandVisit",
    "SupportScheme",
    "Tag",
    "Theme",
    "ThrottleEvent",
    "UTCDateTime",
    "VoteChoice",
    "VoteEvent",
    "VoteOrigin",
    "VoteTally",
    "VoteTallyTime",
    "utcnow",
]
