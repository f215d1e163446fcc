"""Load the demo school №94: a person in every role and documents at several stages.

Idempotent: does nothing if the demo school is already there. Every document is moved
through the real services and flow, so the demo data is what users would have made."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from accounts.models import (
    AcademicYear,
    CreativeGroup,
    District,
    MethodicalAssociation,
    School,
    User,
)
from accounts.roles import Role
from council.models import AgendaItem, Council, CouncilMember, MemberCategory
from council.services import council_roles_sync
from documents.models import Document, DocumentType, ExpertiseRound, Opinion, Recommendation
from documents.samples import sample_docx, sample_pdf
from documents.services import RecommendationAnswer, document_create, document_update
from documents.uploads import validate_document_upload
from flows import services

DEMO_PASSWORD = "demo-council-94"  # noqa: S105 (printed for the demo; never a real account)
SCHOOL_NAME = "№94 жалпы орто билим берүү мектеби"
# The work plan's two versions: the second takes in the expert's recommendation.
WORK_PLAN_V1 = """Илимий-методикалык кеңештин 2026–2027 окуу жылына иш планы
1. Максат: мугалимдердин кесиптик чеберчилигин өркүндөтүү.
2. Кеңештин отурумдары жылына эки жолу өткөрүлөт.
3. Усулдук бирикмелердин отчеттору угулат.
4. Ачык сабактар уюштурулат.
5. Жыйынтык: окуу жылынын аягында отчет даярдалат."""
WORK_PLAN_V2 = """Илимий-методикалык кеңештин 2026–2027 окуу жылына иш планы
1. Максат: мугалимдердин кесиптик жана санариптик чеберчилигин өркүндөтүү.
2. Кеңештин отурумдары ар бир чейректе кеминде бир жолу өткөрүлөт (жобонун 5.1-пункту).
3. Усулдук бирикмелердин отчеттору угулат.
4. Ачык сабактар жана мастер-класстар уюштурулат.
5. Жыйынтык: окуу жылынын аягында отчет даярдалат.
6. Жаш мугалимдерге насаатчылык уюштурулат."""

PEOPLE = [
    # username, last, first, patronymic, position, roles
    (
        "director",
        "Ажыгулова",
        "Кымбат",
        "Касымовна",
        "Мектептин директорунун милдетин аткаруучу",
        [Role.DIRECTOR],
    ),
    (
        "chair",
        "Сыдыкова",
        "Гүлнара",
        "Өмүрбековна",
        "Директордун окуу-тарбия иштери боюнча орун басары",
        [Role.CHAIR, Role.COUNCIL_MEMBER],
    ),
    (
        "secretary",
        "Токтогулова",
        "Нурзат",
        "Бакытовна",
        "Тарых мугалими",
        [Role.SECRETARY, Role.COUNCIL_MEMBER, Role.TEACHER],
    ),
    (
        "expert1",
        "Мамытов",
        "Үмүт",
        "Жолдошевич",
        "Математика усулдук бирикмесинин жетекчиси",
        [Role.COUNCIL_MEMBER, Role.TEACHER],
    ),
    (
        "expert2",
        "Осмонова",
        "Айжан",
        "Төлөгөновна",
        "Кыргыз тили усулдук бирикмесинин жетекчиси",
        [Role.COUNCIL_MEMBER, Role.TEACHER],
    ),
    (
        "expert3",
        "Бекова",
        "Өмүркан",
        "Самаровна",
        "Башталгыч класстар усулдук бирикмесинин жетекчиси",
        [Role.COUNCIL_MEMBER, Role.TEACHER],
    ),
    (
        "teacher",
        "Асанова",
        "Айгүл",
        "Бакытовна",
        "Кыргыз тили жана адабияты мугалими",
        [Role.TEACHER],
    ),
    ("teacher2", "Жумабеков", "Нурлан", "Маратович", "Математика мугалими", [Role.TEACHER]),
    ("admin", "Исаева", "Саламат", "", "Мектептин администратору", [Role.SCHOOL_ADMIN]),
]


class Command(BaseCommand):
    help = "Load the demo school №94 with people in every role and documents at several stages."

    def handle(self, *args: Any, **options: Any) -> None:
        if School.objects.filter(name=SCHOOL_NAME).exists():
            self.stdout.write("The demo school is already loaded.")
            return
        with transaction.atomic():
            people = self.load_school()
        self.load_documents(people)
        self.stdout.write(self.style.SUCCESS("Demo school №94 loaded."))

    def load_school(self) -> dict[str, User]:
        today = timezone.localdate()
        start_year = today.year if today.month >= 9 else today.year - 1
        year, _ = AcademicYear.objects.get_or_create(
            starts_on=datetime.date(start_year, 9, 1),
            defaults={"ends_on": datetime.date(start_year + 1, 8, 31)},
        )
        district, _ = District.objects.get_or_create(name="Бишкек ш., Свердлов району")
        school = School.objects.create(name=SCHOOL_NAME, short_name="№94 ЖОББМ", district=district)
        other = School.objects.create(
            name="№12 гимназия", short_name="№12 гимназия", district=district
        )
        languages = MethodicalAssociation.objects.create(
            school=school, name="Кыргыз тили жана адабияты"
        )
        maths = MethodicalAssociation.objects.create(school=school, name="Математика")
        primary = MethodicalAssociation.objects.create(school=school, name="Башталгыч класстар")
        groups = {g.name: g for g in Group.objects.all()}
        people: dict[str, User] = {}
        for username, last, first, patronymic, position, roles in PEOPLE:
            user = User.objects.create_user(
                username=username,
                password=DEMO_PASSWORD,
                last_name=last,
                first_name=first,
                patronymic=patronymic,
                position=position,
                school=school,
                email=f"{username}@school94.example",
                # The school's administrator is staff with the scoped role, not a
                # superuser: the demo shows what a school administrator really may do.
                is_staff=username == "admin",
            )
            user.groups.add(*[groups[r] for r in roles])
            people[username] = user
        people["teacher"].methodical_association = languages
        people["expert2"].methodical_association = languages
        people["expert1"].methodical_association = maths
        people["teacher2"].methodical_association = maths
        people["expert3"].methodical_association = primary
        for key in ("teacher", "expert2", "expert1", "teacher2", "expert3"):
            people[key].save(update_fields=["methodical_association"])
        languages.head, maths.head, primary.head = (
            people["expert2"],
            people["expert1"],
            people["expert3"],
        )
        for ma in (languages, maths, primary):
            ma.save(update_fields=["head"])
        creative = CreativeGroup.objects.create(school=school, name="Инновациялык технологиялар")
        creative.members.add(people["secretary"], people["teacher"])
        outsider = User.objects.create_user(
            username="other_school",
            password=DEMO_PASSWORD,
            last_name="Бөкөнбаева",
            first_name="Чолпон",
            school=other,
            position="Мугалим",
        )
        outsider.groups.add(groups[Role.TEACHER])
        district_admin = User.objects.create_user(
            username="district",
            password=DEMO_PASSWORD,
            last_name="Абдыкеримов",
            first_name="Талант",
            district=district,
            position="Райондук билим берүү бөлүмү",
        )
        district_admin.groups.add(groups[Role.DISTRICT_ADMIN])
        # The deployment's superuser, of no school: gives the administrators' roles.
        User.objects.create_superuser(
            username="root",
            password=DEMO_PASSWORD,
            email="root@school94.example",
            last_name="Системалык",
            first_name="администратор",
        )

        council = Council.objects.create(
            school=school, academic_year=year, chair=people["chair"], secretary=people["secretary"]
        )
        CouncilMember.objects.bulk_create(
            [
                CouncilMember(
                    council=council, user=people["chair"], category=MemberCategory.MANAGEMENT
                ),
                CouncilMember(
                    council=council, user=people["director"], category=MemberCategory.MANAGEMENT
                ),
                CouncilMember(
                    council=council,
                    user=people["expert1"],
                    category=MemberCategory.ASSOCIATION_HEAD,
                ),
                CouncilMember(
                    council=council,
                    user=people["expert2"],
                    category=MemberCategory.ASSOCIATION_HEAD,
                ),
                CouncilMember(
                    council=council,
                    user=people["expert3"],
                    category=MemberCategory.ASSOCIATION_HEAD,
                ),
                CouncilMember(
                    council=council,
                    user=people["secretary"],
                    category=MemberCategory.CREATIVE_GROUP,
                ),
            ]
        )
        council_roles_sync(council=council)
        people["_year"] = year  # type: ignore[assignment]
        return people

    # Documents, each pushed through the real flow to a different stage.
    def new_document(
        self, people: dict, author: str, title: str, doc_type: str, pdf: bool = True, text: str = ""
    ) -> Document:
        data = (
            sample_pdf(title.encode("ascii", "ignore").decode() or "Document")
            if pdf
            else sample_docx(text or title)
        )
        name = "document.pdf" if pdf else "document.docx"
        upload = SimpleUploadedFile(name, data)
        info = validate_document_upload(upload)
        user = people[author]
        return document_create(
            author=user,
            doc_type=doc_type,
            title=title,
            academic_year=people["_year"],
            methodical_association=user.methodical_association,
            description="",
            upload=upload,
            upload_info=info,
        )

    def task(self, document: Document, node: str) -> Task:
        return Task.objects.get(
            process__expertiseprocess__document=document,
            flow_task=getattr(services._flow(), node),
            status=STATUS.ASSIGNED,
        )

    def screen(self, people: dict, document: Document, experts: list[str]) -> None:
        services.task_perform(
            task=self.task(document, "screen"),
            actor=people["chair"],
            step=lambda act: services.screening_accept(
                activation=act,
                actor=people["chair"],
                experts=[people[e] for e in experts],
                due_date=timezone.localdate() + datetime.timedelta(days=10),
            ),
        )

    def review(
        self, people: dict, document: Document, expert: str, opinion: str, recs: list[str]
    ) -> None:
        task = Task.objects.get(
            process__expertiseprocess__document=document,
            owner=people[expert],
            status=STATUS.ASSIGNED,
        )
        services.task_perform(
            task=task,
            actor=people[expert],
            step=lambda act: services.review_complete(
                activation=act,
                actor=people[expert],
                opinion=opinion,
                comment="",
                recommendations=recs,
            ),
        )

    def decide(self, people: dict, document: Document, decision: str, reason: str = "") -> None:
        services.task_perform(
            task=self.task(document, "decide"),
            actor=people["chair"],
            step=lambda act: services.expertise_decide(
                activation=act, actor=people["chair"], decision=decision, reason=reason
            ),
        )

    def first_session(self, people: dict, plan: Document) -> None:
        """Session №1 of the year: the secretary's election and the work plan (5.1, 5.4)."""
        from council import services as council_services
        from council.models import Council

        council = Council.objects.get(school=plan.school, academic_year=plan.academic_year)
        year = council.academic_year
        day = min(year.starts_on + datetime.timedelta(days=19), timezone.localdate())
        session = council_services.session_schedule(
            council=council,
            actor=people["chair"],
            date=day,
            time=datetime.time(14, 0),
            place="Мугалимдер бөлмөсү",
            is_year_end=False,
            documents=[plan],
            free_items=["Илимий-методикалык кеңештин катчысын шайлоо"],
        )
        secretary = people["secretary"]
        council_services.attendance_record(
            session=session,
            actor=secretary,
            present_user_ids=[m.user_id for m in council.members.all()][:5],
        )
        for item in session.items.all():
            council_services.item_record(
                item=item,
                actor=secretary,
                record=council_services.ItemRecord(
                    heard=f"{people['chair'].get_short_name()} — {item.title}",
                    speakers="Мамытов Ү.Ж., Осмонова А.Т.",
                    resolution="Бир добуштан кабыл алынсын.",
                    decision=(
                        AgendaItem.Decision.RECOMMEND_APPROVAL
                        if item.document_id
                        else AgendaItem.Decision.OTHER
                    ),
                    votes_for=5,
                    votes_against=0,
                    votes_abstained=0,
                ),
            )
        council_services.secretary_elect(session=session, actor=secretary, secretary=secretary)
        council_services.protocol_confirm(session=session, actor=people["chair"])
        council_services.protocol_confirm(session=session, actor=secretary)
        council_services.session_close(session=session, actor=people["chair"])
        services.task_perform(
            task=self.task(plan, "pedagogical"),
            actor=people["chair"],
            step=lambda act: services.pedagogical_record(
                activation=act,
                actor=people["chair"],
                considered=True,
                protocol_number="2",
                considered_on=day,
                reason="",
            ),
        )  # now in the director's inbox

    def load_documents(self, people: dict) -> None:
        self.new_document(
            people,
            "teacher",
            "5-класс үчүн кыргыз тили сабагынын планы (долбоор)",
            DocumentType.LESSON_PLAN,
        )

        doc = self.new_document(
            people,
            "teacher2",
            "Математика боюнча билим берүү программасы",
            DocumentType.EDUCATIONAL_PROGRAM,
            pdf=False,
        )
        services.document_submit(document=doc, actor=people["teacher2"])  # awaits screening

        doc = self.new_document(
            people,
            "teacher",
            "Мектептин 2026–2030-жылдарга өнүгүү программасы",
            DocumentType.DEVELOPMENT_PROGRAM,
        )
        services.document_submit(document=doc, actor=people["teacher"])
        self.screen(people, doc, ["expert1", "expert2", "expert3"])
        self.review(
            people,
            doc,
            "expert1",
            Opinion.APPROVE_WITH_CHANGES,
            ["Максаттарды өлчөнө турган көрсөткүчтөр менен толуктоо."],
        )
        # two experts still to review: in expertise

        doc = self.new_document(
            people,
            "teacher",
            "Окуучулардын функционалдык сабаттуулугун өнүктүрүү",
            DocumentType.OTHER,
        )
        services.document_submit(document=doc, actor=people["teacher"])
        self.screen(people, doc, ["expert2", "expert3"])
        self.review(
            people,
            doc,
            "expert2",
            Opinion.REVISE,
            ["Адабияттардын тизмесин жаңылоо.", "Баалоо критерийлерин кошуу."],
        )
        self.review(people, doc, "expert3", Opinion.APPROVE, [])
        # In revision:
        self.decide(
            people, doc, ExpertiseRound.Decision.REVISE, "Эксперттердин сунуштарын эске алыңыз."
        )

        doc = self.new_document(
            people,
            "secretary",
            "Илимий-методикалык кеңештин 2026–2027 окуу жылына иш планы",
            DocumentType.WORK_PLAN,
            pdf=False,
            text=WORK_PLAN_V1,
        )
        services.document_submit(document=doc, actor=people["secretary"])
        self.screen(people, doc, ["expert1", "expert2"])
        self.review(
            people, doc, "expert1", Opinion.REVISE, ["Ар бир чейрекке отурум пландаштыруу."]
        )
        self.review(people, doc, "expert2", Opinion.APPROVE, [])
        self.decide(people, doc, ExpertiseRound.Decision.REVISE)
        recs = list(Recommendation.objects.filter(review__round__document=doc))
        revised = SimpleUploadedFile("document.docx", sample_docx(WORK_PLAN_V2))
        revised_info = validate_document_upload(revised)

        def revise_and_resubmit(act: Any) -> Any:
            # A new file with the recommendation taken in: the versions can be compared.
            document_update(
                document=doc,
                actor=people["secretary"],
                doc_type=doc.doc_type,
                title=doc.title,
                academic_year=doc.academic_year,
                methodical_association=doc.methodical_association,
                description=doc.description,
                upload=revised,
                upload_info=revised_info,
            )
            return services.resubmit(
                activation=act,
                actor=people["secretary"],
                answers=[RecommendationAnswer(r, Recommendation.Answer.ACCEPTED, "") for r in recs],
            )

        services.task_perform(
            task=self.task(doc, "revise"), actor=people["secretary"], step=revise_and_resubmit
        )
        self.screen(people, doc, ["expert1", "expert2"])
        self.review(people, doc, "expert1", Opinion.APPROVE, [])
        self.review(people, doc, "expert2", Opinion.APPROVE, [])
        # Recommended to a council session:
        self.decide(people, doc, ExpertiseRound.Decision.RECOMMEND)
        self.first_session(people, doc)  # → the council recommends it → awaiting the director

        doc = self.new_document(
            people, "teacher2", "7-класс үчүн алгебра сабагынын планы", DocumentType.LESSON_PLAN
        )
        services.document_submit(document=doc, actor=people["teacher2"])
        self.screen(people, doc, ["expert2", "expert3"])
        self.review(people, doc, "expert2", Opinion.APPROVE, [])
        self.review(
            people, doc, "expert3", Opinion.APPROVE_WITH_CHANGES, ["Үй тапшырмасын так көрсөтүү."]
        )
        # all reviews in: awaiting the chair's decision
