"""The national data set, generated set-based in PostgreSQL (INSERT … SELECT), in minutes.

Five academic years of 2,393 schools in 53 districts: ~88,600 people, ~574,000 documents,
~10 million viewflow task rows, ~6 million deadline rows and timeline events, ~2 million
notifications and deliveries, 120,000+ open tasks. Every value is a pure function of the
school's number and the row's place in it (a hash, not `random()`), so school №1 holds
exactly the same rows in the national database as in a small one generated with
`--schools 3`: the people the bench measures own as much data in both, and a ratio
"national ÷ small" measures the country's weight alone.

Shapes follow what the services and the flow write (the task rows of each stage, a review
task per expert with `{"expert", "review"}` in its data, three deadline rows per review…).
Ids are computed (document id = (school × 5 + year) × 2500 + i, its process id is the same,
its tasks are id × 32 + n…), so no table is joined to find another's ids; the sequences are
moved past them at the end.

Measured schools (the same in both databases, all in district 1):
  1. an ordinary school (chair, expert, director, author, admin);
  2. a chair with a backlog: 429 submissions waiting for screening;
  3. the deadline-day school: 2,000 documents in expertise whose 6,000 "due soon"
     reminders are all due at one moment (`reminder_moment` in bench_meta).
"""

from __future__ import annotations

import datetime
import time
from typing import Any

SCHOOLS = 2393
DISTRICTS = 53
MEASURED = 3  # schools 1..3, district 1
PEOPLE_PER_SCHOOL = (
    37  # slots: 0 chair, 1 director, 2 admin, 3 secretary, 4-11 experts, 12-36 teachers
)
EXPERTS = 8
TEACHERS = 25
YEARS = 5
DOCS_PAST_YEAR = 48
DOCS_CURRENT_YEAR = 62
BACKLOG = 429  # school 2's screening queue
BATCH_DOCUMENTS = 2000  # school 3: 3 reviews each → 6,000 reminders due at one moment
WORDS = [
    "өнүгүү",
    "программасы",
    "билим",
    "берүү",
    "сабактын",
    "планы",
    "илимий",
    "методикалык",
    "иштин",
    "мектептин",
    "максаттары",
    "окуучулардын",
    "сапаты",
    "программа",
    "развития",
    "образовательная",
    "план",
    "урока",
    "качество",
    "образования",
    "инклюзивдүү",
    "математика",
    "кыргыз",
    "тили",
    "тарых",
    "адабият",
    "физика",
    "химия",
    "биология",
    "география",
    "музыка",
]
RARE_WORD = "ксилофондун"

# Current-year stages (weights, percent); past years end approved, rejected or as drafts.
CURRENT = [
    ("draft", 8),
    ("screening", 8),
    ("returned", 3),
    ("in_expertise", 22),
    ("decision", 6),
    ("revision", 8),
    ("recommended", 6),
    ("pedagogical", 4),
    ("director", 3),
    ("approved", 25),
    ("rejected", 7),
]
PAST = [("draft", 8), ("approved", 80), ("rejected", 12)]
WITH_ROUNDS = {
    "in_expertise",
    "decision",
    "revision",
    "recommended",
    "pedagogical",
    "director",
    "approved",
    "rejected",
}


def _cases(weights: list[tuple[str, int]], expr: str) -> str:
    parts, edge = [], 0
    for stage, weight in weights:
        edge += weight
        parts.append(f"WHEN {expr} < {edge} THEN '{stage}'")
    return "CASE " + " ".join(parts) + " END"


def task_plan() -> list[tuple]:
    """(stage, rounds, experts, seq, node, type, status, owner, round, expert) for every shape.

    The nodes of ExpertiseFlow in the order the flow creates them."""
    rows = []
    for stage in [s for s, _w in CURRENT]:
        if stage == "draft":
            continue
        for rounds in (0, 1, 2):
            if (stage in WITH_ROUNDS) != (rounds > 0):
                continue
            for experts in (2, 3, 4):
                seq: list[tuple] = []

                def add(node, ttype, status, owner=None, r=0, e=0, seq=seq):
                    seq.append((node, ttype, status, owner, r, e))

                add("start", "START", "DONE")
                for r in range(1, rounds + 1):
                    last = r == rounds
                    add("screen", "HUMAN", "DONE", "chair", r)
                    add("screened", "EXCLUSIVE_GATEWAY", "DONE")
                    add("split_reviews", "PARALLEL_GATEWAY", "DONE")
                    open_reviews = last and stage == "in_expertise"
                    for e in range(experts):
                        add(
                            "review",
                            "HUMAN",
                            "ASSIGNED" if open_reviews else "DONE",
                            "expert",
                            r,
                            e,
                        )
                    if open_reviews:
                        break
                    add("join_reviews", "JOIN", "DONE")
                    if last and stage == "decision":
                        add("decide", "HUMAN", "ASSIGNED", "chair", r)
                        break
                    add("decide", "HUMAN", "DONE", "chair", r)
                    add("decided", "SWITCH", "DONE")
                    if not last:
                        add("revise", "HUMAN", "DONE", "author", r)
                if stage == "screening":
                    add("screen", "HUMAN", "ASSIGNED", "chair")
                elif stage == "returned":
                    add("screen", "HUMAN", "DONE", "chair")
                    add("screened", "EXCLUSIVE_GATEWAY", "DONE")
                    add("fix", "HUMAN", "ASSIGNED", "author")
                elif stage == "revision":
                    add("revise", "HUMAN", "ASSIGNED", "author")
                elif stage == "rejected":
                    add("rejected", "END", "DONE")
                elif stage in ("recommended", "pedagogical", "director", "approved"):
                    if stage == "recommended":
                        add("council_session", "FUNCTION", "NEW")
                    else:
                        add("council_session", "FUNCTION", "DONE")
                        add("council_decided", "SWITCH", "DONE")
                        if stage == "pedagogical":
                            add("pedagogical", "HUMAN", "ASSIGNED", "chair")
                        else:
                            add("pedagogical", "HUMAN", "DONE", "chair")
                            add("pedagogical_done", "EXCLUSIVE_GATEWAY", "DONE")
                            if stage == "director":
                                add("approve", "HUMAN", "ASSIGNED", "director")
                            else:
                                add("approve", "HUMAN", "DONE", "director")
                                add("approved", "EXCLUSIVE_GATEWAY", "DONE")
                                add("end", "END", "DONE")
                for n, (node, ttype, status, owner, r, e) in enumerate(seq):
                    rows.append((stage, rounds, experts, n, node, ttype, status, owner, r, e))
    return rows


PERMISSIONS = {
    "screen": "flows.chair_expertiseprocess",
    "decide": "flows.chair_expertiseprocess",
    "pedagogical": "flows.chair_expertiseprocess",
    "review": "flows.review_expertiseprocess",
    "approve": "flows.approve_expertiseprocess",
    "fix": "documents.add_document",
    "revise": "documents.add_document",
}


def generate(conn: Any, *, schools: int, password: str, log=print) -> dict:
    """Fill an empty, migrated database. `conn` is a psycopg connection (autocommit off)."""
    started = time.perf_counter()
    today = datetime.date.today()
    first_year = (today.year if today.month >= 9 else today.year - 1) - (YEARS - 1)
    current = YEARS - 1
    flow_ref = "flows/flows.ExpertiseFlow"
    # Yesterday 09:00 school time: before any run of the bench, after the generation's "now"
    # only if generated before 09:00 — so every other deadline up to now is marked done.
    reminder_day = today - datetime.timedelta(days=1)
    cur = conn.cursor()

    def execute(sql: str, params: Any = None) -> None:
        if params:  # `%` is SQL's modulo here; only `%s` is a placeholder
            sql = sql.replace("%", "%%").replace("%%s", "%s")
        cur.execute(sql, params)

    def run(label: str, sql: str, params: Any = None) -> None:
        t = time.perf_counter()
        execute(sql, params)
        log(f"  {label}: {max(cur.rowcount, 0)} rows ({time.perf_counter() - t:.1f} s)")

    cur.execute("SET session_replication_role = replica")  # no FK triggers during the load
    cur.execute("SET maintenance_work_mem = '512MB'")
    cur.execute("SET work_mem = '64MB'")
    cur.execute(
        """CREATE OR REPLACE FUNCTION bench_h(k bigint, salt int) RETURNS bigint
           LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
           $$ SELECT (hashint8(k * 1000003 + salt)::bigint & 2147483647) $$"""
    )
    big = [
        "viewflow_task",
        "viewflow_process",
        "flows_expertiseprocess",
        "flows_deadline",
        "documents_document",
        "documents_documentversion",
        "documents_expertiseround",
        "documents_review",
        "documents_documentevent",
        "notifications_notification",
        "notifications_delivery",
        "reports_documenttext",
    ]
    # Secondary indexes are dropped for the load and built once at the end (much faster
    # than maintaining a dozen B-trees and a trigram GIN row by row).
    cur.execute(
        """SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s)
           AND indexname NOT IN (SELECT conname FROM pg_constraint)""",
        [big],
    )
    indexes = cur.fetchall()
    for name, _definition in indexes:
        cur.execute(f'DROP INDEX "{name}"')

    run(
        "districts",
        "INSERT INTO accounts_district (id, name) SELECT d, 'Район №' || d "
        "FROM generate_series(1, %s) d",
        [DISTRICTS if schools > MEASURED else 1],
    )
    run(
        "schools",
        f"""INSERT INTO accounts_school (id, name, short_name, address, district_id)
        SELECT s, '№' || s || ' мектеп', '№' || s, '',
               CASE WHEN s <= {MEASURED} THEN 1 ELSE 2 + (s - {MEASURED} - 1) % {DISTRICTS - 1} END
        FROM generate_series(1, %s) s""",
        [schools],
    )
    run(
        "academic years",
        f"""INSERT INTO accounts_academicyear (id, starts_on, ends_on)
        SELECT y + 1, make_date({first_year} + y, 9, 1), make_date({first_year} + y + 1, 8, 31)
        FROM generate_series(0, {YEARS - 1}) y""",
    )
    run(
        "associations",
        """INSERT INTO accounts_methodicalassociation (id, name, school_id, head_id)
        SELECT s * 4 + a, (ARRAY['Кыргыз тили','Математика','Тарых','Англис тили'])[a + 1], s, NULL
        FROM generate_series(1, %s) s, generate_series(0, 3) a""",
        [schools],
    )
    slot_name = (
        "CASE WHEN p = 0 THEN 'chair' WHEN p = 1 THEN 'director' WHEN p = 2 THEN 'admin' "
        "WHEN p = 3 THEN 'secretary' WHEN p < 12 THEN 'expert' || (p - 4) "
        "ELSE 'teacher' || (p - 12) END"
    )
    run(
        "people",
        f"""INSERT INTO accounts_user (id, password, is_superuser, username, first_name,
            last_name, email, is_staff, is_active, date_joined, patronymic, position, language,
            school_id, methodical_association_id, district_id)
        SELECT s * 40 + p, %s, false, 's' || s || '-' || {slot_name}, 'Бенч',
               initcap({slot_name}) || ' ' || s, 's' || s || '-' || p || '@bench.invalid',
               false, true, now(), '', '', 'ky', s, s * 4 + p % 4, NULL
        FROM generate_series(1, %s) s, generate_series(0, {PEOPLE_PER_SCHOOL - 1}) p""",
        [password, schools],
    )
    run(
        "district admins",
        """INSERT INTO accounts_user (id, password, is_superuser, username, first_name,
            last_name, email, is_staff, is_active, date_joined, patronymic, position, language,
            school_id, district_id)
        SELECT 100000 + d.id, %s, false, 'district' || d.id, 'Бенч', 'Район', '', false, true,
               now(), '', '', 'ky', NULL, d.id FROM accounts_district d""",
        [password],
    )
    run(
        "roles",
        """INSERT INTO accounts_user_groups (user_id, group_id)
        SELECT u.id, g.id FROM accounts_user u
        JOIN LATERAL (SELECT CASE
            WHEN u.district_id IS NOT NULL THEN ARRAY['district_admin']
            WHEN u.id % 40 = 0 THEN ARRAY['chair', 'council_member']
            WHEN u.id % 40 = 1 THEN ARRAY['director']
            WHEN u.id % 40 = 2 THEN ARRAY['school_admin']
            WHEN u.id % 40 = 3 THEN ARRAY['secretary', 'council_member']
            WHEN u.id % 40 < 12 THEN ARRAY['council_member', 'teacher']
            ELSE ARRAY['teacher'] END AS names) r ON true
        JOIN auth_group g ON g.name = ANY(r.names)""",
    )
    run(
        "councils",
        """INSERT INTO council_council (id, academic_year_id, chair_id, school_id, secretary_id)
        SELECT s * 5 + y, y + 1, s * 40, s, s * 40 + 3
        FROM generate_series(1, %s) s, generate_series(0, 4) y""",
        [schools],
    )
    run(
        "council members",
        f"""INSERT INTO council_councilmember (id, category, council_id, user_id)
        SELECT c.id * 10 + m,
               CASE WHEN m < 2 THEN 'management' ELSE 'association_head' END,
               c.id, c.school_id * 40 + CASE WHEN m = 0 THEN 0 WHEN m = 1 THEN 3 ELSE 2 + m END
        FROM council_council c, generate_series(0, {EXPERTS + 1}) m""",
    )
    # Past years: four held sessions with confirmed protocols (and files). The current
    # year: the first quarter held, the second scheduled: two days ahead in the measured
    # schools (agendas go out), spread over the next weeks elsewhere.
    run(
        "sessions",
        f"""INSERT INTO council_session (id, date, time, place, quarter, is_first, is_year_end,
            status, created_at, closed_at, council_id, created_by_id, secretary_elected_id)
        SELECT c.id * 4 + q - 1,
               CASE WHEN y.id = {current + 1} AND q = 2
                    THEN current_date + 2 + (CASE WHEN c.school_id <= {MEASURED} THEN 0
                                                  ELSE c.school_id % 80 END)::int
                    ELSE y.starts_on + (q - 1) * 90 + 20 END,
               NULL, '', q, q = 1, q = 4,
               CASE WHEN y.id = {current + 1} AND q = 2 THEN 'scheduled' ELSE 'closed' END,
               y.starts_on + (q - 1) * 90, NULL, c.id, c.chair_id,
               CASE WHEN q = 1 THEN c.secretary_id END
        FROM council_council c JOIN accounts_academicyear y ON y.id = c.academic_year_id,
             generate_series(1, 4) q
        WHERE y.id <= {current} OR q <= 2""",
    )
    run(
        "protocols",
        """INSERT INTO council_protocol (id, number, chair_confirmed_at, secretary_confirmed_at,
            confirmed_at, pdf, docx, chair_confirmed_by_id, council_id,
            secretary_confirmed_by_id, session_id)
        SELECT s.id, CASE WHEN s.status = 'closed' THEN s.quarter END,
               CASE WHEN s.status = 'closed' THEN s.date + 1 END,
               CASE WHEN s.status = 'closed' THEN s.date + 1 END,
               CASE WHEN s.status = 'closed' THEN s.date + 1 END,
               CASE WHEN s.status = 'closed' THEN 'protocols/' || s.id || '.pdf' ELSE '' END,
               CASE WHEN s.status = 'closed' THEN 'protocols/' || s.id || '.docx' ELSE '' END,
               CASE WHEN s.status = 'closed' THEN c.chair_id END, s.council_id,
               CASE WHEN s.status = 'closed' THEN c.secretary_id END, s.id
        FROM council_session s JOIN council_council c ON c.id = s.council_id""",
    )
    run(
        "annual reports",
        f"""INSERT INTO council_annualreport (id, directions, generated_at, pdf, presented_on,
            pedagogical_protocol_number, council_id, generated_by_id)
        SELECT c.id, 'Багыттар', y.ends_on, 'reports/' || c.id || '.pdf', y.ends_on, '1',
               c.id, c.chair_id
        FROM council_council c JOIN accounts_academicyear y ON y.id = c.academic_year_id
        WHERE y.id <= {current}""",
    )

    # Documents: a working table first (stage, rounds, experts, dates), then every table
    # that hangs off a document is one INSERT … SELECT from it.
    execute(
        f"""CREATE TEMP TABLE g_doc AS
        SELECT id, school, year, i, h, stage,
               CASE WHEN stage IN {tuple(sorted(WITH_ROUNDS))}
                    THEN 1 + (CASE WHEN h % 4 = 0 THEN 1 ELSE 0 END) ELSE 0 END AS rounds,
               CASE WHEN batch THEN 3 ELSE 2 + (h / 8) % 3 END AS experts,
               school * 40 + 12 + (h / 64) % {TEACHERS} AS author,
               created, batch
        FROM (
          SELECT (s * 5 + y) * 2500 + i AS id, s AS school, y AS year, i,
                 bench_h((s * 5 + y) * 2500 + i, 1) AS h,
                 CASE WHEN s = 2 AND y = {current} AND i >= {DOCS_CURRENT_YEAR} THEN 'screening'
                      WHEN s = 3 AND y = {current} AND i >= {DOCS_CURRENT_YEAR} THEN 'in_expertise'
                      WHEN y = {current} THEN
                        {_cases(CURRENT, "bench_h((s * 5 + y) * 2500 + i, 2) % 100")}
                      ELSE {_cases(PAST, "bench_h((s * 5 + y) * 2500 + i, 2) % 100")} END AS stage,
                 s = 3 AND y = {current} AND i >= {DOCS_CURRENT_YEAR} AS batch,
                 CASE WHEN y = {current}
                      THEN make_date({first_year} + y, 9, 1)::timestamptz
                           + (bench_h((s * 5 + y) * 2500 + i, 3) % (GREATEST(current_date
                              - make_date({first_year} + y, 9, 1) - 12,
                                  1) * 24)) * interval '1 hour'
                      ELSE make_date({first_year} + y, 9, 1)::timestamptz
                           + (bench_h((s * 5 + y) * 2500 + i, 3) % 250) * interval '1 day' END
                   AS created
          FROM generate_series(1, %s) s, generate_series(0, {YEARS - 1}) y,
          LATERAL generate_series(0, CASE WHEN y < {current} THEN {DOCS_PAST_YEAR}
                                          WHEN s = 2 THEN {DOCS_CURRENT_YEAR + BACKLOG}
                                          WHEN s = 3 THEN {DOCS_CURRENT_YEAR + BATCH_DOCUMENTS}
                                          ELSE {DOCS_CURRENT_YEAR} END - 1) i
        ) d""",
        [schools],
    )
    cur.execute("CREATE UNIQUE INDEX ON g_doc (id)")
    cur.execute("ANALYZE g_doc")
    doc_types = (
        "(ARRAY['development_program','educational_program','lesson_plan','work_plan','other'])"
    )
    words = "(ARRAY[" + ",".join(f"'{w}'" for w in WORDS) + "])"
    run(
        "documents",
        f"""INSERT INTO documents_document (id, doc_type, title, description, file, file_name,
            file_size, file_kind, stage, version_count, created_at, updated_at,
            academic_year_id, author_id, methodical_association_id, school_id, approval_sheet,
            approved_at, approved_by_id, approver_position, pedagogical_protocol_number,
            pedagogical_reviewed_on, registry_number, file_sha256)
        SELECT d.id, {doc_types}[1 + d.h % 5],
               initcap({words}[1 + d.h % {len(WORDS)}]) || ' ' ||
                   {words}[1 + (d.h / 7) % {len(WORDS)}]
                 || ' №' || d.i,
               {words}[1 + (d.h / 11) % {len(WORDS)}] || ' ' ||
                   {words}[1 + (d.h / 13) % {len(WORDS)}],
               'documents/bench/' || d.id || '.pdf', 'plan.pdf', 1000, 'pdf', d.stage,
               CASE WHEN d.stage = 'draft' THEN 0 ELSE GREATEST(d.rounds, 1) END,
               d.created, d.created + interval '3 days', d.year + 1, d.author,
               CASE WHEN d.h % 5 = 4 THEN NULL ELSE d.school * 4 + d.h % 4 END, d.school,
               CASE WHEN d.stage = 'approved' THEN 'approval-sheets/' || d.id || '.pdf' ELSE '' END,
               CASE WHEN d.stage = 'approved' THEN d.created + interval '60 days' END,
               CASE WHEN d.stage = 'approved' THEN d.school * 40 + 1 END, '',
               CASE WHEN d.stage IN ('director', 'approved') THEN '1' ELSE '' END,
               CASE WHEN d.stage IN ('director', 'approved') THEN d.created::date + 50 END,
               CASE WHEN d.stage = 'approved'
                    THEN ({first_year} + d.year) || '-' || lpad(d.i::text, 3, '0') ELSE '' END,
               ''
        FROM g_doc d""",
    )
    run(
        "versions",
        """INSERT INTO documents_documentversion (id, number, title, description, file,
            file_name, file_size, file_kind, sha256, submitted_at, document_id, submitted_by_id)
        SELECT d.id * 4 + v, v, 'v' || v, '', 'documents/bench/' || d.id || '.pdf', 'plan.pdf',
               1000, 'pdf', repeat('0', 64), d.created + (v - 1) * interval '10 days', d.id,
                   d.author
        FROM g_doc d, generate_series(1, 2) v
        WHERE d.stage <> 'draft' AND v <= GREATEST(d.rounds, 1)""",
    )
    # Reviews of the batch school's documents are due the day after tomorrow (relative to
    # `reminder_day`), so their "due soon" reminders fall due together.
    run(
        "rounds",
        """INSERT INTO documents_expertiseround (id, number, due_date, assigned_at, decision,
            decision_reason, decided_at, assigned_by_id, decided_by_id, document_id, version_id)
        SELECT d.id * 4 + r, r,
               CASE WHEN d.batch THEN %s::date + 2
                    WHEN d.stage = 'in_expertise' AND r = d.rounds
                    THEN current_date + (d.h % 26)::int - 15
                    ELSE d.created::date + r * 10 + 10 END,
               d.created + r * interval '10 days',
               CASE WHEN r < d.rounds THEN 'revise'
                    WHEN d.stage IN ('in_expertise', 'decision') THEN ''
                    WHEN d.stage = 'revision' THEN 'revise'
                    WHEN d.stage = 'rejected' THEN 'reject' ELSE 'recommend' END,
               '', CASE WHEN r < d.rounds OR d.stage NOT IN ('in_expertise', 'decision')
                        THEN d.created + r * interval '10 days' + interval '5 days' END,
               d.school * 40,
               CASE WHEN r < d.rounds OR d.stage NOT IN ('in_expertise', 'decision')
                    THEN d.school * 40 END,
               d.id, d.id * 4 + r
        FROM g_doc d, generate_series(1, 2) r WHERE r <= d.rounds""",
        [reminder_day],
    )
    expert = f"d.school * 40 + 4 + (d.h + e * 3) % {EXPERTS}"
    run(
        "reviews",
        f"""INSERT INTO documents_review (id, opinion, comment, submitted_at, expert_id, round_id,
            acting_expert_id, due_date, replaced_by_id)
        SELECT (d.id * 4 + r) * 4 + e,
               CASE WHEN d.stage = 'in_expertise' AND r = d.rounds THEN '' ELSE 'approve' END, '',
               CASE WHEN d.stage = 'in_expertise' AND r = d.rounds THEN NULL
                    ELSE d.created + r * interval '10 days' + interval '3 days' END,
               {expert}, d.id * 4 + r, NULL, NULL, NULL
        FROM g_doc d, generate_series(1, 2) r, generate_series(0, 3) e
        WHERE r <= d.rounds AND e < d.experts""",
    )
    # Three reminders per review (flows.notices.deadlines_arm): done when handled or past,
    # except the batch's "due soon" ones, all due at `reminder_moment`.
    run(
        "deadlines",
        """INSERT INTO flows_deadline (id, kind, due_at, done_at, review_id)
        SELECT v.id * 4 + k.n, k.kind, m.due_at,
               CASE WHEN v.submitted_at IS NOT NULL THEN v.submitted_at
                    WHEN d.batch AND k.n = 0 THEN NULL
                    WHEN m.due_at <= now() THEN m.due_at END,
               v.id
        FROM documents_review v JOIN documents_expertiseround r ON r.id = v.round_id
        JOIN g_doc d ON d.id = r.document_id,
        LATERAL (VALUES (0, 'due_soon'), (1, 'due_today'), (2, 'overdue')) k(n, kind),
        LATERAL (SELECT (CASE k.n WHEN 0 THEN (r.due_date - 2) + time '09:00'
                                  WHEN 1 THEN r.due_date + time '09:00'
                                  ELSE (r.due_date + 1)::timestamp END)
                        AT TIME ZONE 'Asia/Bishkek' AS due_at) m""",
    )
    run(
        "processes",
        f"""INSERT INTO viewflow_process (id, flow_class, status, created, finished, data)
        SELECT d.id, '{flow_ref}',
               CASE WHEN d.stage IN ('approved', 'rejected') THEN 'DONE' ELSE 'NEW' END,
               d.created, CASE WHEN d.stage IN ('approved', 'rejected')
                               THEN d.created + interval '60 days' END, '{{}}'::jsonb
        FROM g_doc d WHERE d.stage <> 'draft'""",
    )
    run(
        "expertise processes",
        "INSERT INTO flows_expertiseprocess (process_ptr_id, document_id) "
        "SELECT id, id FROM g_doc WHERE stage <> 'draft'",
    )
    cur.execute(
        """CREATE TEMP TABLE g_plan (stage text, rounds int, experts int, seq int, node text,
           ttype text, status text, owner text, r int, e int)"""
    )
    with cur.copy("COPY g_plan FROM STDIN") as copy:
        for row in task_plan():
            copy.write_row(row)
    run(
        "tasks",
        f"""INSERT INTO viewflow_task (id, flow_task, flow_task_type, status, created, started,
            finished, token, owner_permission, owner_id, process_id, assigned, data)
        SELECT d.id * 32 + p.seq, '{flow_ref}.' || p.node, p.ttype, p.status,
               d.created + p.seq * interval '5 hours', NULL,
               CASE WHEN p.status = 'DONE' THEN d.created + p.seq * interval '5 hours'
                                                  + interval '4 hours' END,
               CASE WHEN p.node IN ('review') THEN 'start/' || (d.id * 32 + p.seq - 1 - p.e) ||
                   '_' || (p.e + 1)
                    ELSE 'start' END,
               {_perm_case()},
               CASE p.owner WHEN 'chair' THEN d.school * 40 WHEN 'director' THEN d.school * 40 + 1
                            WHEN 'author' THEN d.author
                            WHEN 'expert' THEN d.school * 40 + 4 + (d.h + p.e * 3) % {EXPERTS} END,
               d.id,
               CASE WHEN p.owner IS NOT NULL THEN d.created + p.seq * interval '5 hours' END,
               CASE WHEN p.node = 'review'
                    THEN jsonb_build_object('expert',
                        d.school * 40 + 4 + (d.h + p.e * 3) % {EXPERTS},
                                            'review', (d.id * 4 + p.r) * 4 + p.e)
                    ELSE '{{}}'::jsonb END
        FROM g_doc d JOIN g_plan p
          ON p.stage = d.stage AND p.rounds = d.rounds AND p.experts = d.experts""",
    )
    kinds = (
        "(ARRAY['submitted','experts_assigned','reviewed','reviewed','sent_to_revision',"
        "'submitted','recommended','council_decided','pedagogical_considered','approved'])"
    )
    run(
        "timeline events",
        f"""INSERT INTO documents_documentevent (id, kind, version_number, round_number, note,
            created_at, actor_id, document_id)
        SELECT d.id * 16 + k, CASE WHEN k = 0 THEN 'created' ELSE {kinds}[1 + (k - 1) % 10] END,
               CASE WHEN k = 0 THEN NULL ELSE 1 END, NULL, '',
               d.created + k * interval '5 hours',
               CASE WHEN k % 3 = 1 THEN d.school * 40 ELSE d.author END, d.id
        FROM g_doc d, generate_series(0, 15) k
        WHERE k < CASE WHEN d.stage = 'draft' THEN 1
                       ELSE LEAST(16, 3 + d.rounds * (d.experts + 2)
                            + CASE WHEN d.stage = 'approved' THEN 3 ELSE 0 END) END""",
    )
    run(
        "search texts",
        f"""INSERT INTO reports_documenttext (document_id, school_id, file_name, file_text,
            search_text, indexed_at)
        SELECT d.id, d.school, 'documents/bench/' || d.id || '.pdf', t.body,
               lower(x.title || E'\\n' || x.description || E'\\n' || t.body), x.updated_at
        FROM g_doc d JOIN documents_document x ON x.id = d.id,
        LATERAL (SELECT string_agg({words}[1 + bench_h(d.id * 64 + j, 4) % {len(WORDS)}], ' ')
                        || CASE WHEN d.i % 97 = 5 THEN ' {RARE_WORD}' ELSE '' END AS body
                 FROM generate_series(1, 40) j) t""",
    )
    # Every version's paragraphs were read (a built system owes none: reports.VersionTextOwed
    # stays empty).
    run(
        "version texts",
        """INSERT INTO reports_versiontext (version_id, paragraphs, extracted_at)
        SELECT v.id, jsonb_build_array(v.title, 'Максаты жана милдеттери'), v.submitted_at
        FROM documents_documentversion v""",
    )
    # ~820 notifications per school: the chair 80, each expert 40, everyone else 15.
    run(
        "notifications",
        """INSERT INTO notifications_notification (id, kind, params, url, dedupe_key, in_digest,
            created_at, read_at, digest_delivery_id, recipient_id, school_id)
        SELECT u.id * 128 + n,
               (ARRAY['task_assigned', 'task_due_soon', 'document_returned',
                      'session_scheduled'])[1 + n % 4],
               jsonb_build_object('document', 'Сабактын планы №' ||
                   n, 'task_msgid', 'Expert review'),
               '/documents/' || n || '/', NULL, n % 20 = 0,
               now() - (n * interval '19 hours'),
               CASE WHEN n > 3 THEN now() - (n * interval '19 hours') + interval '1 hour' END,
               CASE WHEN n % 20 = 0 THEN u.id * 128 + n END,
               u.id, u.school_id
        FROM accounts_user u,
        LATERAL generate_series(0, CASE WHEN u.id % 40 = 0 THEN 79
                                        WHEN u.id % 40 BETWEEN 4 AND 11 THEN 39
                                        ELSE 14 END) n
        WHERE u.school_id IS NOT NULL""",
    )
    run(
        "deliveries",
        """INSERT INTO notifications_delivery (id, channel, digest_date, status, attempts,
            next_attempt_at, claimed_at, sent_at, last_error, created_at, recipient_id,
            notification_id)
        SELECT n.id, CASE WHEN n.in_digest THEN 'digest' ELSE 'email' END,
               CASE WHEN n.in_digest THEN n.created_at::date END, 'sent', 1, n.created_at, NULL,
               n.created_at + interval '1 minute', '', n.created_at, n.recipient_id,
               CASE WHEN n.in_digest THEN NULL ELSE n.id END
        FROM notifications_notification n""",
    )
    # A notification whose digest row points to itself is fine for the shapes measured; the
    # digest of one person and day must be unique, so the digest rows keep distinct days.
    cur.execute("DROP TABLE g_doc, g_plan")
    for name, definition in indexes:
        t = time.perf_counter()
        cur.execute(definition)
        log(f"  index {name} ({time.perf_counter() - t:.1f} s)")
    cur.execute(
        """SELECT c.table_name, c.column_name FROM information_schema.columns c
           WHERE c.table_schema = 'public' AND c.is_identity = 'YES'"""
    )
    for table, column in cur.fetchall():
        cur.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
            f"GREATEST((SELECT max({column}) FROM {table}), 1))"
        )
    cur.execute("SET session_replication_role = DEFAULT")
    moment = datetime.datetime.combine(reminder_day, datetime.time(9))
    cur.execute("CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value text NOT NULL)")
    meta = {
        "schools": str(schools),
        "first_year": str(first_year),
        "reminder_moment": moment.isoformat(),  # school time (Asia/Bishkek)
        "generated_at": datetime.datetime.now(datetime.UTC).isoformat(),
        "generation_s": f"{time.perf_counter() - started:.0f}",
    }
    for key, value in meta.items():
        cur.execute(
            "INSERT INTO bench_meta VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = "
            "EXCLUDED.value",
            [key, value],
        )
    conn.commit()
    return meta


def _perm_case() -> str:
    parts = " ".join(f"WHEN '{node}' THEN '{perm}'" for node, perm in PERMISSIONS.items())
    return f"CASE p.node {parts} END"
