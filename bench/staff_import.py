"""Staff import at school and district scale: a 2,000-row XLSX (Kyrgyz and Russian names)
read, checked (the preview) and imported, against a 200-row file as the baseline, in a
separate PostgreSQL database.

    .venv/bin/python bench/staff_import.py               # 3 rounds of 200 and 2,000 rows
    .venv/bin/python bench/staff_import.py --rounds 5 --rows 2000 --baseline 200

Sizes are interleaved round by round (small, big, small, big…) so the machine's noise hits
both; each round imports new people (fresh e-mails), then imports the same file again (the
idempotent re-import). Medians, per-row times, ratios, query counts and the load average
are printed and written to bench/results/staff-import-<timestamp>.json. The database
named by --database-url is dropped and recreated: never point it at real data.
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import recreate_database  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/council_bench_api_import"
LAST_KY = ["Асанова", "Өмүрбеков", "Жумабекова", "Үсөнов", "Бөкөнбаева", "Ташиев", "Ыдырысова"]
FIRST_KY = ["Айгүл", "Нурлан", "Үмүт", "Гүлнара", "Чолпон", "Бакыт", "Жаңыл"]
PATRONYMIC_KY = ["Бакыт кызы", "Асан уулу", "Өмүр кызы", "Сейит уулу"]
LAST_RU = ["Иванова", "Петров", "Смирнова", "Кузнецов", "Попова"]
FIRST_RU = ["Мария", "Иван", "Елена", "Сергей", "Ольга"]
PATRONYMIC_RU = ["Петровна", "Сергеевич", "Ивановна", "Алексеевич"]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--baseline", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_IMPORT_DATABASE_URL", DEFAULT_URL)
    )
    return parser.parse_args()


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-secret")
    os.environ["DJANGO_SECURE_SSL"] = "0"
    os.environ.pop("REDIS_URL", None)
    # The outbox's enqueue goes nowhere: no worker of another database may pick it up.
    os.environ["CELERY_BROKER_URL"] = "memory://"
    import django

    django.setup()


def staff_file(rows: int, tag: str, associations: list[str]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Full name", "Position", "E-mail", "Role", "Methodical association", "Language"])
    for i in range(rows):
        if i % 3:
            name = f"{LAST_KY[i % 7]} {FIRST_KY[i % 7]} {PATRONYMIC_KY[i % 4]}"
            language, position = "ky", "Мугалим"
        else:
            name = f"{LAST_RU[i % 5]} {FIRST_RU[i % 5]} {PATRONYMIC_RU[i % 4]}"
            language, position = "ru", "Учитель"
        role = "Teacher" if i % 10 else "Teacher, Council member"
        sheet.append(
            [
                name,
                position,
                f"p{i}.{tag}@bench.kg",
                role,
                associations[i % len(associations)],
                language,
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def measure(admin, school, data: bytes) -> dict[str, float | int]:
    from contextlib import contextmanager

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection

    from accounts.staff_import import staff_file_read, staff_import_apply, staff_import_check

    @contextmanager
    def counting():
        # A wrapper, not the debug query log: that log keeps only the last 9,000 queries.
        counter = {"n": 0}

        def count(execute, sql, params, many, context):
            counter["n"] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            yield counter

    figures: dict[str, float | int] = {}
    started = time.perf_counter()
    rows = staff_file_read(upload=SimpleUploadedFile("staff.xlsx", data))
    figures["read_s"] = time.perf_counter() - started
    with counting() as counter:
        started = time.perf_counter()
        results = staff_import_check(actor=admin, rows=rows, school=school)
        figures["check_s"] = time.perf_counter() - started
    figures["check_queries"] = counter["n"]
    assert all(r.action == "create" for r in results), [r.errors for r in results if r.errors][:3]
    with counting() as counter:
        started = time.perf_counter()
        report = staff_import_apply(actor=admin, rows=rows, school=school)
        figures["import_s"] = time.perf_counter() - started
    figures["import_queries"] = counter["n"]
    assert report.created == len(rows)
    started = time.perf_counter()
    again = staff_import_apply(actor=admin, rows=rows, school=school)
    figures["reimport_s"] = time.perf_counter() - started
    assert again.created == 0 and again.unchanged == len(rows)
    return figures


def main() -> None:
    args = parse_args()
    recreate_database(args.database_url)
    setup_django(args.database_url)
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    from accounts.models import MethodicalAssociation, School, User
    from accounts.roles import Role

    call_command("migrate", verbosity=0)
    school = School.objects.create(name="№94 жалпы орто билим берүү мектеби", short_name="№94")
    names = ["Кыргыз тили", "Математика", "Орус тили", "Башталгыч класстар"]
    for name in names:
        MethodicalAssociation.objects.create(school=school, name=name)
    admin = User.objects.create_user(username="admin", school=school, language="en")
    admin.groups.add(Group.objects.get(name=Role.SCHOOL_ADMIN))
    admin = User.objects.get(pk=admin.pk)

    samples: dict[int, list[dict]] = {args.baseline: [], args.rows: []}
    for round_number in range(args.rounds + 1):  # round 0 warms both sizes up
        for size in (args.baseline, args.rows):
            data = staff_file(size, f"r{round_number}s{size}", names)
            figures = measure(admin, school, data)
            if round_number:
                samples[size].append(figures)
            print(
                f"round {round_number} rows {size}: "
                + ", ".join(
                    f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}"
                    for k, v in figures.items()
                )
            )

    def median(size: int, key: str) -> float:
        return statistics.median(s[key] for s in samples[size])

    summary = {}
    for key in ("read_s", "check_s", "import_s", "reimport_s", "check_queries", "import_queries"):
        small, big = median(args.baseline, key), median(args.rows, key)
        summary[key] = {
            str(args.baseline): small,
            str(args.rows): big,
            "ratio": big / small if small else None,
        }
    per_row_ms = {
        str(size): 1000 * median(size, "import_s") / size for size in (args.baseline, args.rows)
    }
    result = {
        "when": datetime.datetime.now(datetime.UTC).isoformat(),
        "rounds": args.rounds,
        "load_average": os.getloadavg(),
        "medians": summary,
        "import_ms_per_row": per_row_ms,
    }
    print(json.dumps(result, indent=2, ensure_ascii=False))
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    (out / f"staff-import-{stamp}.json").write_text(
        json.dumps(result, indent=2, ensure_ascii=False)
    )


if __name__ == "__main__":
    main()
