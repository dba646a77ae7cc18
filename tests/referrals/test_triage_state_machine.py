"""Random sequences of decisions, (re)assignments and case links, against a model of what
the law allows. After every step the invariants hold:

- a dismissed referral always has a written justification;
- every open referral has exactly one review deadline;
- clocks never move backwards (a deadline's start never changes, its due time never falls);
- every transition, assignment and link has its audit event, and refused ones change nothing.
"""

import copy

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from audit.models import AuditEvent
from config.exceptions import ConflictError
from referrals import services
from referrals.models import Assignment, Deadline, Decision, LegalBasis, Referral

Kind = Decision.Kind
Status = Referral.Status
OPEN = {Status.SUBMITTED, Status.EMERGENCY, Status.INVESTIGATING}

# The model's own statement of what the law allows (independent of the service's table):
# decision → (from which statuses, the status it leads to, None: unchanged).
TRANSITIONS = {
    Kind.OPEN_INVESTIGATION: ({Status.SUBMITTED, Status.EMERGENCY}, Status.INVESTIGATING),
    Kind.DISMISS: ({Status.SUBMITTED, Status.EMERGENCY}, Status.DISMISSED),
    Kind.EMERGENCY_MEASURE: ({Status.SUBMITTED, Status.INVESTIGATING}, Status.EMERGENCY),
    Kind.FORWARD: (OPEN, None),
    Kind.REROUTE: ({Status.SUBMITTED}, None),
    Kind.EXTEND_INVESTIGATION: ({Status.INVESTIGATING}, None),
    Kind.CLOSE_INVESTIGATION: ({Status.INVESTIGATING}, Status.CLOSED),
}
NEEDS_JUSTIFICATION = {Kind.DISMISS, Kind.EMERGENCY_MEASURE, Kind.EXTEND_INVESTIGATION}


def make_machine(world, api, payload):
    home, elsewhere = world.child_welfare, world.outsider_child_welfare
    deciders = {"coordinator": (world.coordinator, home), "coordinator2": (world.second_coordinator, home),
                "outsider": (world.outsider, elsewhere), "caseworker": (world.caseworker, None),
                "liaison": (world.liaison, None)}
    basis = LegalBasis.objects.get(code="fvl-13b-6")  # usable to disclose to the police

    class Triage(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.savepoint = transaction.savepoint()
            self.refs: list[Referral] = []
            self.status: dict[int, str] = {}
            self.owner: dict[int, int] = {}  # which child welfare service decides
            self.extended: dict[int, bool] = {}
            self.caseworker: dict[int, int | None] = {}
            self.case: dict[int, int | None] = {}
            self.seen_due: dict[int, tuple] = {}
            self.expected_events = {"referral.decided": 0, "referral.assigned": 0, "referral.unassigned": 0,
                                    "case.linked": 0, "case.unlinked": 0}

        @initialize()
        def file_referrals(self):
            for n in range(2):
                body = copy.deepcopy(payload)
                body["child"]["given_name"] = f"Prop{n}"
                response = api(world.reporter).post("/api/v1/referrals/", body, format="json")
                assert response.status_code == 201
                referral = Referral.objects.get(reference=response.json()["reference"])
                self.refs.append(referral)
                self.status[referral.pk] = Status.SUBMITTED
                self.owner[referral.pk] = home.pk
                self.extended[referral.pk] = False
                self.caseworker[referral.pk] = None
                self.case[referral.pk] = None

        def teardown(self):
            transaction.savepoint_rollback(self.savepoint)

        # --- the model's predictions ------------------------------------------------

        def _decide_outcome(self, actor_key, referral, kind, justification):
            _user, agency = deciders[actor_key]
            if agency is None or agency.pk != self.owner[referral.pk]:
                return PermissionDenied
            allowed_from, _next = TRANSITIONS[kind]
            if self.status[referral.pk] not in allowed_from:
                return ConflictError
            if kind == Kind.EXTEND_INVESTIGATION and self.extended[referral.pk]:
                return ConflictError
            if kind in NEEDS_JUSTIFICATION and not justification.strip():
                return ValidationError
            return None

        # --- rules ------------------------------------------------------------------

        # Weighted towards those who may decide and towards written justifications, so that
        # runs reach deep states; the others still come up.
        @rule(index=st.integers(0, 1),
              actor_key=st.sampled_from(["coordinator"] * 4 + ["coordinator2"] * 2 + ["outsider", "caseworker", "liaison"]),
              kind=st.sampled_from(list(TRANSITIONS)),
              justification=st.sampled_from(["Vurdert grundig."] * 3 + ["", "  "]))
        def decide(self, index, actor_key, kind, justification):
            referral = self.refs[index]
            actor, _agency = deciders[actor_key]
            target = None
            if kind == Kind.REROUTE:
                target = elsewhere if self.owner[referral.pk] == home.pk else home
            elif kind == Kind.FORWARD:
                target = world.police
            expected = self._decide_outcome(actor_key, referral, kind, justification)
            before = Decision.objects.filter(referral=referral).count()
            try:
                services.referral_decide(actor=actor, referral=referral, kind=kind, justification=justification,
                                         target_agency=target, legal_basis=basis if kind == Kind.FORWARD else None)
            except (PermissionDenied, ConflictError, ValidationError) as refused:
                assert expected is not None and isinstance(refused, expected), (kind, expected, refused)
                assert Decision.objects.filter(referral=referral).count() == before
                assert Referral.objects.get(pk=referral.pk).status == self.status[referral.pk]
                return
            assert expected is None, (kind, self.status[referral.pk], expected)
            self.expected_events["referral.decided"] += 1
            _allowed, next_status = TRANSITIONS[kind]
            if next_status:
                self.status[referral.pk] = next_status
            if kind == Kind.EXTEND_INVESTIGATION:
                self.extended[referral.pk] = True
            if kind == Kind.REROUTE:
                self.owner[referral.pk] = target.pk

        @rule(index=st.integers(0, 1), who=st.sampled_from(["caseworker", "coordinator2", "none", "liaison"]),
              actor_key=st.sampled_from(["coordinator", "caseworker"]))
        def assign(self, index, who, actor_key):
            referral = self.refs[index]
            actor, agency = deciders[actor_key]
            person = {"caseworker": world.caseworker, "coordinator2": world.second_coordinator,
                      "liaison": world.liaison, "none": None}[who]
            may = agency is not None and agency.pk == self.owner[referral.pk]
            try:
                if person is None:
                    services.caseworker_unassign(actor=actor, referral=referral)
                else:
                    services.caseworker_assign(actor=actor, referral=referral, caseworker=person)
            except PermissionDenied:
                assert not may
                return
            except ValidationError:
                assert person is world.liaison  # not a member of the service
                return
            assert may
            current = self.caseworker[referral.pk]
            new = person.pk if person else None
            if new != current:
                if current is not None:
                    self.expected_events["referral.unassigned"] += 1
                if new is not None:
                    self.expected_events["referral.assigned"] += 1
            self.caseworker[referral.pk] = new

        @rule(first=st.integers(0, 1), second=st.integers(0, 1))
        def link(self, first, second):
            a, b = self.refs[first], self.refs[second]
            try:
                case = services.case_link(actor=world.coordinator, referrals=[a, b] if a.pk != b.pk else [a])
            except ValidationError:
                assert a.pk == b.pk
                return
            except PermissionDenied:
                assert not (self.owner[a.pk] == self.owner[b.pk] == home.pk)
                return
            except ConflictError:
                cases = {self.case[a.pk], self.case[b.pk]} - {None}
                assert len(cases) > 1
                return
            assert self.owner[a.pk] == self.owner[b.pk] == home.pk
            for referral in (a, b):
                if self.case[referral.pk] != case.pk:
                    self.expected_events["case.linked"] += 1
                self.case[referral.pk] = case.pk

        @rule(index=st.integers(0, 1))
        def unlink(self, index):
            referral = self.refs[index]
            try:
                services.case_unlink(actor=world.coordinator, referral=referral)
            except PermissionDenied:
                assert self.owner[referral.pk] != home.pk
                return
            except ConflictError:
                assert self.case[referral.pk] is None
                return
            self.expected_events["case.unlinked"] += 1
            self.case[referral.pk] = None

        # --- invariants -------------------------------------------------------------

        @invariant()
        def dismissed_referrals_are_justified(self):
            for referral in Referral.objects.filter(pk__in=[r.pk for r in self.refs], status=Status.DISMISSED):
                dismissal = Decision.objects.get(referral=referral, kind=Kind.DISMISS)
                assert dismissal.justification.strip()

        @invariant()
        def every_open_referral_has_one_review_deadline(self):
            for referral in Referral.objects.filter(pk__in=[r.pk for r in self.refs]):
                assert referral.status == self.status[referral.pk]
                if referral.status in OPEN:
                    assert Deadline.objects.filter(referral=referral, kind="review").count() == 1

        @invariant()
        def clocks_never_move_backwards(self):
            for deadline in Deadline.objects.filter(referral__in=[r.pk for r in self.refs]):
                seen = self.seen_due.get(deadline.pk)
                if seen is not None:
                    starts_at, due_at = seen
                    assert deadline.starts_at == starts_at and deadline.due_at >= due_at
                self.seen_due[deadline.pk] = (deadline.starts_at, deadline.due_at)

        @invariant()
        def every_change_has_its_audit_event(self):
            refs = [r.pk for r in self.refs]
            events = AuditEvent.objects.filter(outcome="ok", target_type="referrals.referral",
                                               target_id__in=[str(pk) for pk in refs])
            for action, expected in self.expected_events.items():
                assert events.filter(action=action).count() == expected, action
            assert Decision.objects.filter(referral__in=refs).count() == self.expected_events["referral.decided"]
            assert Assignment.objects.filter(referral__in=refs).count() == self.expected_events["referral.assigned"]
            for pk, caseworker in self.caseworker.items():
                assert Referral.objects.get(pk=pk).caseworker_id == caseworker

    return Triage


@pytest.mark.django_db
def test_it_keeps_the_invariants_under_random_triage(world, api, referral_payload, settings_for_hypothesis):
    machine = make_machine(world, api, referral_payload)
    run_state_machine_as_test(machine, settings=settings_for_hypothesis)


@pytest.fixture
def settings_for_hypothesis():
    return settings(max_examples=60, stateful_step_count=30, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
