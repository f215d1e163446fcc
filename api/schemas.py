"""What the API reads and writes. Output is built by `api.present` from the selectors'
rows; input mirrors the page's form fields, and is checked by the same Django forms."""

from __future__ import annotations

import datetime

from ninja import Schema
from pydantic import Field

from documents.models import DocumentType, ExpertiseRound, Opinion, Recommendation
from flows.models import ExpertiseProcess


def one_of(values: list[str], description: str = "") -> dict:
    """Listed in the schema; checked by the page's form, whose message (in the caller's
    language) a wrong value gets."""
    extra: dict = {"json_schema_extra": {"enum": values}}
    if description:
        extra["description"] = description
    return extra


# ----------------------------------------------------------------------------- output


class Ref(Schema):
    id: int
    name: str


class UserRef(Schema):
    id: int
    username: str
    full_name: str


class Me(Schema):
    id: int
    username: str
    full_name: str
    short_name: str
    email: str
    position: str
    language: str
    school: Ref | None
    district: Ref | None
    methodical_association: Ref | None
    roles: list[str]
    can_create_documents: bool
    can_view_school_documents: bool
    can_view_dashboard: bool


class Choice(Schema):
    value: str
    label: str


class YearOut(Schema):
    id: int
    name: str
    current: bool


class Choices(Schema):
    """What the forms offer, in the caller's language: ids and codes to send back."""

    academic_years: list[YearOut]
    methodical_associations: list[Ref]
    doc_types: list[Choice]
    stages: list[Choice]
    opinions: list[Choice]
    decisions: list[Choice]


class DocumentSummary(Schema):
    id: int
    title: str
    doc_type: str
    doc_type_label: str
    academic_year: Ref
    methodical_association: Ref | None
    author: UserRef
    stage: str
    stage_label: str
    version_count: int
    registry_number: str
    created_at: datetime.datetime
    updated_at: datetime.datetime


class Version(Schema):
    number: int
    title: str
    file_name: str
    file_size: int
    file_kind: str
    sha256: str
    submitted_by: UserRef
    submitted_at: datetime.datetime
    file_url: str


class RecommendationOut(Schema):
    id: int
    number: int
    text: str
    answer: str
    answer_reason: str
    answered_in_version: int | None


class ReviewOut(Schema):
    id: int
    expert: UserRef
    acting_expert: UserRef | None
    submitted: bool
    submitted_at: datetime.datetime | None
    due_date: datetime.date
    opinion: str
    opinion_label: str
    comment: str
    recommendations: list[RecommendationOut]


class RoundOut(Schema):
    number: int
    version_number: int
    due_date: datetime.date
    assigned_at: datetime.datetime
    # Blind expertise: the round's opinions are not the reader's to see yet (an expert
    # before their own opinion; anyone but the chair before the chair's decision), so its
    # reviews are left out. `awaits_my_review`: the reader's own opinion opens it.
    hidden: bool
    awaits_my_review: bool
    decision: str
    decision_label: str
    decision_reason: str
    decided_by: UserRef | None
    decided_at: datetime.datetime | None
    reviews: list[ReviewOut]


class EventOut(Schema):
    kind: str
    text: str
    actor: UserRef
    version_number: int | None
    round_number: int | None
    note: str
    created_at: datetime.datetime


class TaskRef(Schema):
    id: int
    step: str
    title: str


class DocumentDetail(DocumentSummary):
    description: str
    file_name: str
    file_size: int
    pedagogical_protocol_number: str
    pedagogical_reviewed_on: datetime.date | None
    approved_by: UserRef | None
    approved_at: datetime.datetime | None
    versions: list[Version]
    rounds: list[RoundOut]
    timeline: list[EventOut]
    my_task: TaskRef | None


class TaskOut(Schema):
    id: int
    step: str
    title: str
    created: datetime.datetime
    due_date: datetime.date | None
    acting_for: UserRef | None
    document: DocumentSummary


class TaskDetail(TaskOut):
    # Screening: whom the chair may pick, and the last round's experts (the default).
    expert_candidates: list[UserRef]
    previous_experts: list[int]
    # Revision: the recommendations the author must answer.
    open_recommendations: list[RecommendationOut]
    # Why the document came back (formal fixes, the pedagogical council, the director).
    return_reason: str


class NotificationOut(Schema):
    id: int
    kind: str
    subject: str
    url: str
    created_at: datetime.datetime
    read_at: datetime.datetime | None


class Marked(Schema):
    marked: int


class AgendaItemOut(Schema):
    position: int
    title: str
    document_id: int | None
    heard: str
    speakers: str
    resolution: str
    decision: str
    decision_label: str
    votes_for: int | None
    votes_against: int | None
    votes_abstained: int | None


class ProtocolOut(Schema):
    number: int | None
    chair_confirmed_at: datetime.datetime | None
    secretary_confirmed_at: datetime.datetime | None
    confirmed_at: datetime.datetime | None


class SessionOut(Schema):
    id: int
    date: datetime.date
    # Local school time, "HH:MM" (a JSON Schema "time" would demand a UTC offset).
    time: str | None = Field(pattern=r"^\d{2}:\d{2}$")
    place: str
    quarter: int
    is_first: bool
    is_year_end: bool
    status: str
    status_label: str
    protocol: ProtocolOut | None


class AttendanceOut(Schema):
    user: UserRef
    present: bool


class SessionDetail(SessionOut):
    academic_year: Ref
    items: list[AgendaItemOut]
    attendance: list[AttendanceOut]


class StageCount(Schema):
    stage: str
    label: str
    count: int


class Breakdown(Schema):
    label: str
    counts: list[int]
    total: int


class StepTime(Schema):
    step: str
    title: str
    finished: int
    median_seconds: float | None
    p90_seconds: float | None


class ExpertLoadOut(Schema):
    expert: UserRef
    open: int
    done: int
    median_seconds: float | None


class OverdueOut(Schema):
    task_id: int
    document_id: int
    document_title: str
    step: str
    title: str
    owner: UserRef | None
    since: datetime.date
    days_late: int


class Dashboard(Schema):
    school: Ref
    academic_year: Ref
    total: int
    by_stage: list[StageCount]
    stage_groups: list[str]
    by_type: list[Breakdown]
    by_association: list[Breakdown]
    stage_times: list[StepTime]
    experts: list[ExpertLoadOut]
    overdue: list[OverdueOut]
    overdue_after_days: int


def page_of(item: type[Schema], name: str) -> type[Schema]:
    """A page of a list: stable order, `next_page` until the end."""
    return type(
        name,
        (Schema,),
        {
            "__annotations__": {
                "count": int,
                "page": int,
                "page_size": int,
                "next_page": int | None,
                "items": list[item],
            }
        },
    )


DocumentPage = page_of(DocumentSummary, "DocumentPage")
TaskPage = page_of(TaskOut, "TaskPage")
NotificationPage = page_of(NotificationOut, "NotificationPage")
SessionPage = page_of(SessionOut, "SessionPage")

# ----------------------------------------------------------------------------- input


class DocumentIn(Schema):
    doc_type: str = Field(max_length=30, **one_of(DocumentType.values))
    title: str = Field(max_length=300)
    academic_year: int
    methodical_association: int | None = None
    description: str = Field("", max_length=20000)


class ScreenIn(Schema):
    action: str = Field(**one_of(ExpertiseProcess.Screening.values))
    experts: list[int] = Field(default_factory=list, max_length=100)
    due_date: datetime.date | None = None
    reason: str = Field("", max_length=20000)


class ReviewIn(Schema):
    opinion: str = Field(**one_of(Opinion.values))
    comment: str = Field("", max_length=20000)
    recommendations: list[str] = Field(default_factory=list, max_length=50)


class DecideIn(Schema):
    decision: str = Field(**one_of(ExpertiseRound.Decision.values))
    reason: str = Field("", max_length=20000)


class AnswerIn(Schema):
    recommendation: int
    answer: str = Field("", **one_of(["", *Recommendation.Answer.values]))
    reason: str = Field("", max_length=20000)


class ResubmitIn(Schema):
    answers: list[AnswerIn] = Field(default_factory=list, max_length=500)
    # False keeps the answers without submitting (the page's "Save").
    submit: bool = True


class PedagogicalIn(Schema):
    outcome: str = Field(**one_of(ExpertiseProcess.PedagogicalOutcome.values))
    protocol_number: str = Field("", max_length=20)
    considered_on: datetime.date | None = None
    reason: str = Field("", max_length=20000)


class ApproveIn(Schema):
    outcome: str = Field(**one_of(ExpertiseProcess.DirectorDecision.values))
    reason: str = Field("", max_length=20000)


class TaskDone(Schema):
    task_id: int
    message: str
    document: DocumentSummary
