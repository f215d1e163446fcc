"""Status tracking at district scale: the dashboard and the lists with 1 school of data,
then with N schools (default 50), in a separate PostgreSQL database.

    make bench                          # 50 schools × 200 documents, about 3–5 min on 2 cores
    .venv/bin/python bench/run.py --schools 10 --documents 100 --runs 5

Rows are bulk-created directly (users, councils, sessions, documents, versions, rounds,
reviews, events, search texts, and viewflow Process/Task rows shaped as the flow writes
them), so the generator takes seconds per school. Each page is requested through Django's
test Client `--runs` times; the median server time and the query count are printed, with
the ratio "N schools / 1 school", and written to bench/results/<timestamp>.json. The
database named by --database-url is dropped and recreated: never point it at real data.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/council_bench"
WORDS_TEXT = (
    "өнүгүү программасы билим берүү сабактын планы илимий методикалык иштин мектептин "
    "максаттары окуучулардын сапаты программа развития образовательная план урока "
    "качество образования инклюзивдүү математика кыргыз тили тарых"
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schools", type=int, default=50, help="schools in the district")
    parser.add_argument("--documents", type=int, default=200, help="documents per school")
    parser.add_argument("--runs", type=int, default=7, help="requests per page (median)")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--seed", type=int, default=94)
    return parser.parse_args()


def recreate_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if not name.replace("_", "").isalnum() or "bench" not in name:
        sys.exit(f"refusing to drop {name!r}: the bench database's name must contain 'bench'")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    os.environ["DJANGO_DEBUG"] = "1"
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver,localhost"
    os.environ.pop("REDIS_URL", None)
    os.environ.pop("CELERY_BROKER_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


class Generator:
    """Bulk rows for one school at a time, the shapes the services and the flow write."""

    STAGES = [  # (stage, weight)
        ("draft", 10),
        ("screening", 8),
        ("returned", 3),
        ("in_expertise", 15),
        ("decision", 6),
        ("revision", 8),
        ("recommended", 6),
        ("pedagogical", 4),
        ("director", 3),
        ("approved", 30),
        ("rejected", 7),
    ]
    WORDS = tuple(WORDS_TEXT.split())

    def __init__(self, seed: int, documents: int) -> None:
        from django.contrib.auth.hashers import make_password

        from accounts.models import AcademicYear, District

        self.rng = random.Random(seed)
        self.per_school = documents
        self.password = make_password("bench-password")
        today = datetime.date.today()
        start = today.year if today.month >= 9 else today.year - 1
        self.year, _ = AcademicYear.objects.get_or_create(
            starts_on=datetime.date(start, 9, 1),
            defaults={"ends_on": datetime.date(start + 1, 8, 31)},
        )
        self.district, _ = District.objects.get_or_create(name="Bench district")
        self.now = datetime.datetime.now(datetime.UTC)

    def text(self, n: int) -> str:
        return " ".join(self.rng.choice(self.WORDS) for _ in range(n))

    def school(self, number: int):
        from django.contrib.auth.models import Group
        from django.db import connection
        from viewflow.workflow.models import Process, Task
        from viewflow.workflow.status import STATUS

        from accounts.models import MethodicalAssociation, School, User
        from accounts.roles import Role
        from council.models import Council, CouncilMember, MemberCategory, Protocol, Session
        from documents.models import (
            Document,
            DocumentEvent,
            DocumentVersion,
            ExpertiseRound,
            Review,
        )
        from flows.flows import ExpertiseFlow
        from reports.extraction import fold
        from reports.models import DocumentText

        rng = self.rng
        school = School.objects.create(
            name=f"№{number} мектеп", short_name=f"№{number}", district=self.district
        )
        groups = {g.name: g for g in Group.objects.all()}

        def person(username: str, roles: list[str], **extra) -> User:
            user = User(
                username=f"s{number}-{username}",
                password=self.password,
                school=school,
                last_name=username.title(),
                first_name="Бенч",
                **extra,
            )
            user.roles = roles
            return user

        people = [
            person("chair", [Role.CHAIR, Role.COUNCIL_MEMBER]),
            person("director", [Role.DIRECTOR]),
        ]
        people += [
            person("admin", [Role.SCHOOL_ADMIN]),
            person("secretary", [Role.SECRETARY, Role.COUNCIL_MEMBER]),
        ]
        people += [person(f"expert{i}", [Role.COUNCIL_MEMBER, Role.TEACHER]) for i in range(6)]
        people += [person(f"teacher{i}", [Role.TEACHER]) for i in range(20)]
        User.objects.bulk_create(people)
        people = list(User.objects.filter(school=school).order_by("pk"))
        by_name = {u.username.split("-", 1)[1]: u for u in people}
        through = User.groups.through
        roles = {
            "chair": [Role.CHAIR, Role.COUNCIL_MEMBER],
            "director": [Role.DIRECTOR],
            "admin": [Role.SCHOOL_ADMIN],
            "secretary": [Role.SECRETARY, Role.COUNCIL_MEMBER],
        }
        links = []
        for name, user in by_name.items():
            wanted = roles.get(name) or (
                [Role.COUNCIL_MEMBER, Role.TEACHER] if name.startswith("expert") else [Role.TEACHER]
            )
            links += [through(user_id=user.pk, group_id=groups[r].pk) for r in wanted]
        through.objects.bulk_create(links)
        chair, director, secretary = by_name["chair"], by_name["director"], by_name["secretary"]
        experts = [by_name[f"expert{i}"] for i in range(6)]
        teachers = [by_name[f"teacher{i}"] for i in range(20)] + experts
        associations = MethodicalAssociation.objects.bulk_create(
            [
                MethodicalAssociation(school=school, name=n)
                for n in ("Кыргыз тили", "Математика", "Тарых", "Англис тили")
            ]
        )
        council = Council.objects.create(
            school=school, academic_year=self.year, chair=chair, secretary=secretary
        )
        CouncilMember.objects.bulk_create(
            [CouncilMember(council=council, user=chair, category=MemberCategory.MANAGEMENT)]
            + [
                CouncilMember(council=council, user=e, category=MemberCategory.ASSOCIATION_HEAD)
                for e in experts
            ]
        )
        # Sessions: one held in the 1st quarter; the 2nd quarter only scheduled.
        bounds = self.year.quarter_bounds()
        for quarter, held in ((1, True), (2, False)):
            session = Session.objects.create(
                council=council,
                date=bounds[quarter - 1][0] + datetime.timedelta(days=10),
                quarter=quarter,
                is_first=quarter == 1,
                created_by=chair,
            )
            Protocol.objects.create(
                session=session, council=council, confirmed_at=self.now if held else None
            )

        stages = [s for s, w in self.STAGES for _ in range(w)]
        documents = []
        for i in range(self.per_school):
            author = rng.choice(teachers)
            documents.append(
                Document(
                    school=school,
                    author=author,
                    doc_type=rng.choice(
                        [
                            "development_program",
                            "educational_program",
                            "lesson_plan",
                            "work_plan",
                            "other",
                        ]
                    ),
                    title=f"{self.text(3).capitalize()} №{i}",
                    description=self.text(12),
                    academic_year=self.year,
                    methodical_association=rng.choice([*associations, None]),
                    stage=rng.choice(stages),
                    file_name="plan.pdf",
                    file_kind="pdf",
                )
            )
        Document.objects.bulk_create(documents)
        submitted = [d for d in documents if d.stage != "draft"]
        for d in submitted:
            d.version_count = 1
        Document.objects.bulk_update(submitted, ["version_count"])
        versions = DocumentVersion.objects.bulk_create(
            [
                DocumentVersion(
                    document=d,
                    number=1,
                    title=d.title,
                    file="documents/bench",
                    file_name="plan.pdf",
                    file_size=1000,
                    file_kind="pdf",
                    sha256="0" * 64,
                    submitted_by=d.author,
                )
                for d in submitted
            ]
        )
        version_of = {v.document_id: v for v in versions}
        DocumentText.objects.bulk_create(
            [
                DocumentText(
                    document=d,
                    school=school,
                    file_name="documents/bench",
                    file_text=(body := self.text(300)),
                    search_text=fold(f"{d.title}\n{d.description}\n{body}"),
                    indexed_at=self.now,
                )
                for d in documents
            ]
        )
        # viewflow rows: a process per submitted document, its finished and open tasks.
        flow_class = ExpertiseFlow
        processes = Process.objects.bulk_create(
            [
                Process(
                    flow_class=flow_class,
                    status=STATUS.DONE if d.stage in ("approved", "rejected") else STATUS.NEW,
                )
                for d in submitted
            ]
        )
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO flows_expertiseprocess (process_ptr_id, document_id) VALUES (%s, %s)",
                [(p.pk, d.pk) for p, d in zip(processes, submitted, strict=True)],
            )
        past_screening = {
            "in_expertise",
            "decision",
            "revision",
            "recommended",
            "pedagogical",
            "director",
            "approved",
            "rejected",
        }
        rounds = []
        for d in submitted:
            if d.stage in past_screening:
                rounds.append(
                    ExpertiseRound(
                        document=d,
                        number=1,
                        version=version_of[d.pk],
                        due_date=datetime.date.today()
                        + datetime.timedelta(days=rng.randint(-15, 10)),
                        assigned_by=chair,
                    )
                )
        ExpertiseRound.objects.bulk_create(rounds)
        reviews = []
        for r in rounds:
            open_round = r.document.stage == "in_expertise"
            for expert in rng.sample(experts, 2):
                reviews.append(
                    Review(
                        round=r,
                        expert=expert,
                        opinion="" if open_round else "approve",
                        submitted_at=None if open_round else self.now,
                    )
                )
        Review.objects.bulk_create(reviews)
        reviews_of: dict[int, list] = {}
        for review in reviews:
            reviews_of.setdefault(review.round.document_id, []).append(review)

        tasks = []
        events = []

        def task(process, node, owner, created, done: bool, data=None):
            finished = created + datetime.timedelta(hours=rng.uniform(1, 120)) if done else None
            tasks.append(
                Task(
                    process=process,
                    flow_task=node,
                    flow_task_type="HUMAN",
                    status=STATUS.DONE if done else STATUS.ASSIGNED,
                    owner=owner,
                    created=created,
                    assigned=created,
                    finished=finished,
                    data=data or {},
                )
            )
            return finished or created

        for process, d in zip(processes, submitted, strict=True):
            t = self.now - datetime.timedelta(days=rng.randint(5, 80))
            events.append(
                DocumentEvent(document=d, actor=d.author, kind="created", version_number=None)
            )
            events.append(
                DocumentEvent(document=d, actor=d.author, kind="submitted", version_number=1)
            )
            if d.stage == "screening":
                task(process, flow_class.screen, chair, t, False)
                continue
            t = task(process, flow_class.screen, chair, t, True)
            if d.stage == "returned":
                task(process, flow_class.fix, d.author, t, False)
                continue
            ends = []
            for review in reviews_of.get(d.pk, []):
                ends.append(
                    task(
                        process,
                        flow_class.review,
                        review.expert,
                        t,
                        d.stage != "in_expertise",
                        {"review": review.pk},
                    )
                )
            if d.stage == "in_expertise":
                continue
            t = max(ends)
            if d.stage == "decision":
                task(process, flow_class.decide, chair, t, False)
                continue
            t = task(process, flow_class.decide, chair, t, True)
            if d.stage == "revision":
                task(process, flow_class.revise, d.author, t, False)
                continue
            if d.stage == "rejected":
                continue
            tasks.append(
                Task(
                    process=process,
                    flow_task=flow_class.council_session,
                    flow_task_type="FUNCTION",
                    status=STATUS.ASSIGNED if d.stage == "recommended" else STATUS.DONE,
                    created=t,
                    finished=None if d.stage == "recommended" else t + datetime.timedelta(days=20),
                )
            )
            if d.stage == "recommended":
                continue
            t = t + datetime.timedelta(days=20)
            t = task(process, flow_class.pedagogical, chair, t, d.stage != "pedagogical")
            if d.stage == "pedagogical":
                continue
            task(process, flow_class.approve, director, t, d.stage == "approved")
        Task.objects.bulk_create(tasks)
        DocumentEvent.objects.bulk_create(events)
        return {"school": school, "chair": chair, "admin": by_name["admin"], "tasks": len(tasks)}


def measure(pages, runs: int) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    results = {}
    for name, user, url in pages:
        client = Client()
        client.force_login(user)
        client.get(url)  # warm: templates, permissions cache
        times = []
        for _ in range(runs):
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (name, response.status_code)
        results[name] = {
            "median_ms": round(statistics.median(times), 1),
            "queries": len(ctx.captured_queries),
        }
    return results


def main() -> None:
    args = parse_args()
    recreate_database(args.database_url)
    setup_django(args.database_url)
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection
    from django.urls import reverse
    from viewflow.workflow.models import Task

    from accounts.models import User
    from accounts.roles import Role
    from documents.models import Document

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    generator = Generator(args.seed, args.documents)
    first = generator.school(1)
    district_admin = User.objects.create(username="district-admin", district=generator.district)
    district_admin.groups.add(*Group.objects.filter(name=Role.DISTRICT_ADMIN))
    school = first["school"]
    pages = [
        ("dashboard", first["chair"], reverse("reports:dashboard")),
        ("school documents", first["chair"], reverse("documents:school")),
        (
            "school documents, filtered",
            first["chair"],
            reverse("documents:school")
            + f"?year={generator.year.pk}&stage=in_expertise&doc_type=lesson_plan&overdue=on",
        ),
        ("school documents, XLSX", first["chair"], reverse("documents:school") + "?export=xlsx"),
        ("overdue tasks", first["admin"], reverse("reports:overdue", args=[school.pk])),
        ("search", first["chair"], reverse("reports:search") + "?q=өнүгүү+программасы"),
        ("district", district_admin, reverse("reports:district")),
    ]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    one = measure(pages, args.runs)
    for number in range(2, args.schools + 1):
        generator.school(number)
        if number % 10 == 0:
            print(f"  generated {number} schools", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    many = measure(pages, args.runs)
    size = {
        "schools": args.schools,
        "documents": Document.objects.count(),
        "tasks": Task.objects.count(),
        "documents_per_school": args.documents,
        "generate_and_measure_s": round(time.perf_counter() - started, 1),
    }
    print(f"\n{size}\n")
    many_label = f"{args.schools} schools ms"
    print(f"{'page':32} {'1 school ms':>12} {'q':>4} {many_label:>14} {'q':>4} {'ratio':>6}")
    rows = {}
    for name in one:
        a, b = one[name], many[name]
        ratio = round(b["median_ms"] / a["median_ms"], 2) if a["median_ms"] else None
        rows[name] = {"one_school": a, "all_schools": b, "time_ratio": ratio}
        print(
            f"{name:32} {a['median_ms']:12.1f} {a['queries']:4d} "
            f"{b['median_ms']:14.1f} {b['queries']:4d} {ratio:6.2f}"
        )
    out = ROOT / "bench" / "results" / f"{datetime.datetime.now():%Y%m%d-%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps({"size": size, "runs": args.runs, "pages": rows}, indent=2, ensure_ascii=False)
    )
    print(f"\nwritten to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
