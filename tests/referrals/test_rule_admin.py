"""Routing rules are data that agency admins and superusers edit; every edit is audited."""

from audit.models import AuditEvent
from referrals.models import RoutingRule
from tests.factories import PASSWORD


def rule_form(rule: RoutingRule, **changes) -> dict:
    data = {
        "name": rule.name, "reason_nb": rule.reason_nb, "reason_en": rule.reason_en,
        "priority": rule.priority, "categories": [c.pk for c in rule.categories.all()],
        "indicators": [i.pk for i in rule.indicators.all()],
        "any_duty_trigger": {True: "true", False: "false", None: "unknown"}[rule.any_duty_trigger],
        "duty_triggers": '["trafficking"]' if rule.duty_triggers else "[]",
        "urgencies": "[]", "child_younger_than": rule.child_younger_than or "",
        # the admin posts these hidden initials for fields with a callable default
        "initial-duty_triggers": '["trafficking"]' if rule.duty_triggers else "[]", "initial-urgencies": "[]",
        "migration_linked": {True: "true", False: "false", None: "unknown"}[rule.migration_linked],
        "target_kind": rule.target_kind, "legal_basis": rule.legal_basis_id,
        "acknowledge_within": "2 00:00:00" if rule.acknowledge_within else "", "clock_nb": rule.clock_nb, "clock_en": rule.clock_en,
    }
    if rule.is_active:
        data["is_active"] = "on"
    data.update(changes)
    return data


def test_it_lets_an_agency_admin_edit_a_rule_and_audits_it(world, client):
    rule = RoutingRule.objects.get(name="recruitment-slt-consent")
    assert client.login(username=world.agency_admin.username, password=PASSWORD)
    url = f"/admin/referrals/routingrule/{rule.pk}/change/"
    assert client.get(url).status_code == 200

    data = rule_form(rule, target_kind="health")
    data.pop("is_active")
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    rule.refresh_from_db()
    assert rule.target_kind == "health" and rule.is_active is False
    event = AuditEvent.objects.get(action="admin.routingrule.changed")
    assert event.actor == world.agency_admin and set(event.changes["fields"]) == {"target_kind", "is_active"}


def test_it_keeps_other_roles_out_of_the_rule_admin(world, client):
    for user in (world.reporter, world.coordinator, world.auditor):
        client.login(username=user.username, password=PASSWORD)
        response = client.get("/admin/referrals/routingrule/")
        assert response.status_code == 302 and "/admin/login/" in response["Location"], user.username
        client.logout()


def test_it_refuses_a_rule_whose_legal_basis_cannot_reach_its_target_kind(world, client):
    rule = RoutingRule.objects.get(name="recruitment-police")
    assert client.login(username=world.agency_admin.username, password=PASSWORD)
    response = client.post(f"/admin/referrals/routingrule/{rule.pk}/change/", rule_form(rule, target_kind="school"))
    assert response.status_code == 200 and "legal_basis" in response.context["adminform"].form.errors
    rule.refresh_from_db()
    assert rule.target_kind == "police"


def test_it_loads_rules_whose_legal_bases_reach_their_target_kinds(world):
    for rule in RoutingRule.objects.select_related("legal_basis"):
        assert rule.legal_basis.usable_for(rule.target_kind), rule.name
