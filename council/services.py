from __future__ import annotations

from django.contrib.auth.models import Group

from accounts.roles import Role

from .models import Council


def council_roles_sync(*, council: Council) -> None:
    """Give the council's people the role groups that go with their place on it."""
    groups = {g.name: g for g in Group.objects.filter(name__in=[r.value for r in Role])}
    member_group = groups.get(Role.COUNCIL_MEMBER)
    if member_group is not None:
        member_group.user_set.add(*[m.user_id for m in council.members.all()])
    if council.chair_id and Role.CHAIR in groups:
        groups[Role.CHAIR].user_set.add(council.chair_id)
    if council.secretary_id and Role.SECRETARY in groups:
        groups[Role.SECRETARY].user_set.add(council.secretary_id)
