"""What accounts announces, each pinned alone: the staff import announces exactly the
people it created (notifications turns that into set-password e-mails), and the admin asks
the open-work registry, which flows fills, where a deactivated person's tasks go."""

from __future__ import annotations

import pytest

from accounts.open_work import handover_url_for
from accounts.signals import people_created
from accounts.staff_import import StaffRow, staff_import_apply

pytestmark = pytest.mark.django_db


def test_it_announces_only_the_people_it_created(world):
    heard = []

    def listen(sender, people, **kwargs):
        heard.append(sorted(p.email for p in people))

    people_created.connect(listen, dispatch_uid="test.listen")
    try:
        row = StaffRow(line=2, full_name="Асанов Бакыт", email="bakyt@school94.kg", roles="Teacher")
        staff_import_apply(actor=world.admin, rows=[row], school=world.school)
        changed = StaffRow(
            line=2,
            full_name="Асанов Бакыт",
            position="Мугалим",
            email="bakyt@school94.kg",
            roles="Teacher",
        )
        staff_import_apply(actor=world.admin, rows=[changed], school=world.school)
    finally:
        people_created.disconnect(dispatch_uid="test.listen")
    # Created once: the second import updated the same person and announced nobody.
    assert heard == [["bakyt@school94.kg"], []]


def test_the_registry_leads_to_the_tasks_of_a_person_who_holds_some(world):
    from documents.models import DocumentType
    from documents.uploads import validate_document_upload
    from flows.services import document_create_and_submit
    from tests.conftest import pdf_upload

    assert handover_url_for(world.chair) is None  # no open task yet
    upload = pdf_upload()
    _document, refusal = document_create_and_submit(  # the chair is asked to screen it
        author=world.author,
        doc_type=DocumentType.DEVELOPMENT_PROGRAM,
        title="Өнүгүү программасы",
        academic_year=world.year,
        methodical_association=None,
        description="",
        upload=upload,
        upload_info=validate_document_upload(upload),
    )
    assert refusal is None
    assert handover_url_for(world.chair) == f"/tasks/unowned/?person={world.chair.pk}"
