"""The starting rule set of DOMAIN.md section 5, one case each, plus how rules resolve to
agencies and what happens when nothing matches."""

from datetime import date

import pytest

from agencies.models import Agency
from referrals import services
from referrals.models import Referral, RoutingRule, Urgency

TODAY = date.today()


def born(years_ago: int) -> date:
    """1 January, `years_ago` years ago: the child is exactly that old (birthday passed)."""
    return date(TODAY.year - years_ago, 1, 1)


def file(world, *, categories=(), indicators=(), duty_triggers=(), child=None, **extra) -> Referral:
    child = child or services.ChildData(given_name="Ola", family_name="Nordmann", date_of_birth=born(13))
    data = services.ReferralData(child=child, categories=tuple(categories), indicators=tuple(indicators),
                                 duty_triggers=tuple(duty_triggers), concern="Observed at school.", **extra)
    return services.referral_file(actor=world.reporter, reporting_agency=world.school, data=data)


def routed(referral: Referral) -> dict[str, tuple[str, set[str]]]:
    """agency name → (legal basis code, rule names)"""
    return {
        r.agency.name: (r.legal_basis.code, {rule.name for rule in r.rules.all()})
        for r in referral.routings.select_related("agency", "legal_basis").prefetch_related("rules")
    }


def test_it_sends_immediate_danger_to_police_and_the_emergency_unit_at_once(world):
    referral = file(world, indicators=["A-weapon"], emergency_called=True)
    assert routed(referral) == {
        world.police.name: ("strl-196", {"immediate-danger-police"}),
        world.emergency.name: ("fvl-13b-7", {"immediate-danger-emergency-unit"}),
    }
    assert referral.urgency == Urgency.P0
    routing = referral.routings.get(agency=world.police)
    assert (routing.acknowledge_by - referral.submitted_at).total_seconds() == 3600


def test_it_sends_any_duty_to_report_trigger_to_the_municipal_child_welfare_service(world):
    referral = file(world, categories=["F"], duty_triggers=["serious_behaviour"])
    assert routed(referral) == {world.child_welfare.name: ("bvl-13-2", {"duty-to-report"})}
    assert referral.is_mandatory


def test_it_adds_the_police_for_suspected_trafficking(world):
    referral = file(world, categories=["D"], duty_triggers=["trafficking"])
    assert routed(referral) == {
        world.child_welfare.name: ("bvl-13-2", {"duty-to-report"}),
        world.police.name: ("fvl-13b-6", {"trafficking-police", "exploitation-police"}),
    }


def test_it_adds_immigration_when_trafficking_is_migration_linked(world):
    child = services.ChildData(given_name="Amir", estimated_age=15, age_uncertain=True, unaccompanied_minor=True)
    referral = file(world, categories=["D"], duty_triggers=["trafficking"], child=child)
    assert routed(referral)[world.immigration.name] == (
        "fvl-13b-5", {"trafficking-immigration", "exploitation-immigration"})
    assert set(routed(referral)) == {world.child_welfare.name, world.police.name, world.immigration.name}


def test_it_routes_recruitment_without_a_job_to_child_welfare_police_and_slt_by_consent(world):
    referral = file(world, indicators=["B-jobs-talk", "B-moved-platform"])
    assert routed(referral) == {
        world.child_welfare.name: ("consent", {"concern-below-duty"}),
        world.police.name: ("consent", {"recruitment-police-consent"}),
        world.slt.name: ("consent", {"recruitment-slt-consent"}),
    }


def test_it_routes_recruitment_under_the_duty_to_report_without_consent(world):
    referral = file(world, categories=["B"], duty_triggers=["serious_behaviour"])
    assert routed(referral) == {
        world.child_welfare.name: ("bvl-13-2", {"duty-to-report"}),
        world.police.name: ("fvl-13b-6", {"recruitment-police"}),
        world.slt.name: ("fvl-13b-6", {"recruitment-slt"}),
    }


def test_it_sends_a_child_under_15_who_carried_out_a_job_to_police_and_child_welfare(world):
    referral = file(world, indicators=["B-job-carried-out"], duty_triggers=["serious_behaviour"])
    result = routed(referral)
    assert "under-15-job-police" in result[world.police.name][1]
    assert "under-15-job-child-welfare" in result[world.child_welfare.name][1]
    assert result[world.police.name][0] == "fvl-13b-6"


def test_it_does_not_apply_the_under_15_rule_to_a_16_year_old(world):
    child = services.ChildData(given_name="Ola", date_of_birth=born(16))
    referral = file(world, indicators=["B-job-carried-out"], duty_triggers=["serious_behaviour"], child=child)
    names = set().union(*(rules for _basis, rules in routed(referral).values()))
    assert not names & {"under-15-job-police", "under-15-job-child-welfare"}


def test_it_adds_the_police_when_violence_at_home_is_suspected(world):
    referral = file(world, indicators=["F-violence"], duty_triggers=["serious_neglect"])
    assert routed(referral)[world.police.name] == ("fvl-13b-6", {"abuse-at-home-police"})


def test_it_falls_back_to_child_welfare_when_no_rule_matches(world):
    RoutingRule.objects.update(is_active=False)
    referral = file(world, categories=["B"])
    routing = referral.routings.get()
    assert routing.agency == world.child_welfare and routing.is_fallback
    assert routing.legal_basis.code == "consent"


def test_it_gives_child_welfare_what_no_registered_agency_could_take(world):
    world.slt.is_active = False
    world.slt.save()
    referral = file(world, categories=["B"])
    routing = referral.routings.get(agency=world.child_welfare)
    assert routing.unresolved_kinds == ["slt"]
    assert Agency.Kind.SLT not in {r.agency.kind for r in referral.routings.all()}


def test_it_follows_an_edited_rule(world):
    RoutingRule.objects.filter(name="recruitment-slt-consent").update(is_active=False)
    referral = file(world, categories=["B"])
    assert world.slt.name not in routed(referral)


def test_it_routes_by_the_childs_municipality_not_the_schools(world):
    child = services.ChildData(given_name="Ola", date_of_birth=born(12), municipality=world.elsewhere)
    referral = file(world, categories=["F"], duty_triggers=["serious_neglect"], child=child)
    assert routed(referral) == {world.outsider_child_welfare.name: ("bvl-13-2", {"duty-to-report"})}


def test_it_uses_the_schools_municipality_when_the_childs_is_unknown(world):
    child = services.ChildData(given_name="Ola", date_of_birth=born(12), school=world.outsider_school)
    referral = file(world, categories=["F"], duty_triggers=["serious_neglect"], child=child)
    assert referral.child.municipality == world.elsewhere
    assert set(routed(referral)) == {world.outsider_child_welfare.name}


@pytest.mark.parametrize("indicators, expected", [
    (["A-missing"], {"emergency", "liaison"}),
    (["E-debt"], {"liaison", "immigration", "coordinator", "coordinator2"}),
    (["B-weapons"], {"liaison", "sltcoordinator", "coordinator", "coordinator2"}),
])
def test_it_notifies_each_routed_agencys_coordinators_or_liaisons(world, indicators, expected):
    referral = file(world, indicators=indicators)
    assert set(referral.notifications.values_list("recipient__username", flat=True)) == expected


def test_it_explains_in_words_why_each_agency_received_it(world, api):
    referral = file(world, indicators=["B-jobs-talk"])
    body = api(world.coordinator).get(f"/api/v1/referrals/{referral.reference}/",
                                      HTTP_ACCEPT_LANGUAGE="en").json()
    police = next(r for r in body["routings"] if r["agency"]["id"] == world.police.pk)
    assert police["reasons"] == [RoutingRule.objects.get(name="recruitment-police-consent").reason_en]
    assert police["legal_basis_text"].startswith("forvaltningsloven § 13 a")
