"""Intake benchmark: referrals filed per second through the API on PostgreSQL, with
N existing children and referrals, and the matcher's time per submit.

    python -m benchmarks.intake --existing 100000 --submits 300 [--kinds duty,consent,consultation]

It uses its own database (BENCH_DATABASE_URL, default samvirke_bench on local PostgreSQL),
generates the background data once (kept between runs; --reset starts over), and files
referrals in-process through the API with a real user and token auth. --kinds takes turns
between concerns under the duty to report (the default), below it with a consent given on the
form, and below it without one (consultations without identity), and reports each.
"""

import argparse
import random
import statistics
import time

from .setup import django_for_benchmarks


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--existing", type=int, default=100_000)
    parser.add_argument("--submits", type=int, default=300)
    parser.add_argument("--reset", action="store_true")
    parser.add_argument("--kinds", default="duty", help="comma-separated: duty, consent, consultation")
    args = parser.parse_args()
    django_for_benchmarks(reset=args.reset)

    from rest_framework.test import APIClient

    from agencies.models import Agency, Municipality, User
    from referrals.models import Child, Referral
    from referrals.services import intake

    from .generate import FAMILY, GIVEN, children_and_referrals

    reporter = User.objects.get(username="laerer")
    school = Agency.objects.get(kind=Agency.Kind.SCHOOL, memberships__user=reporter)
    municipalities = list(Municipality.objects.filter(agencies__kind=Agency.Kind.CHILD_WELFARE).distinct())
    welfare = {a.municipality_id: a for a in Agency.objects.filter(kind=Agency.Kind.CHILD_WELFARE)}
    have = Child.objects.count()
    if have < args.existing:
        started = time.perf_counter()
        children_and_referrals(count=args.existing - have, reporter=reporter, reporting_agency=school,
                               municipalities=municipalities, agency_for=lambda m: welfare[m.pk])
        print(f"generated {args.existing - have} children and referrals in {time.perf_counter() - started:.0f} s")
    print(f"existing: {Child.objects.count()} children, {Referral.objects.count()} referrals")

    matcher_times: list[float] = []
    original = intake._suggest_matches

    def timed(referral):
        t = time.perf_counter()
        try:
            return original(referral)
        finally:
            matcher_times.append(time.perf_counter() - t)

    intake._suggest_matches = timed
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = APIClient()
    client.force_authenticate(reporter)
    rng = random.Random(11)
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    durations, query_counts = [], []
    by_kind: dict[str, list[tuple[float, int]]] = {k: [] for k in kinds}
    for i in range(args.submits):
        kind = kinds[i % len(kinds)]
        body = {
            "child": {"given_name": rng.choice(GIVEN), "family_name": rng.choice(FAMILY),
                      "date_of_birth": f"{rng.randint(2012, 2020)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"},
            "indicators": ["B-jobs-talk", "B-moved-platform"],
            "duty_triggers": ["serious_behaviour"] if kind == "duty" else [],
            "concern": "Benchmark submission.",
            "guardians": [{"name": "Foresatt", "informed": True}],
            "identifiers": [{"kind": "username", "platform": "telegram", "value": f"user{rng.randint(1, 500)}"}],
        }
        if kind == "consent":
            body["consent"] = {"given_by": "guardian_1", "form": "oral", "child_view": "agrees"}
        t = time.perf_counter()
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as queries:
            response = client.post("/api/v1/referrals/", body, format="json")
        durations.append(time.perf_counter() - t)
        query_counts.append(len(queries))
        by_kind[kind].append((durations[-1], len(queries)))
        assert response.status_code == 201, response.content
    total = sum(durations)
    print(f"submits: {args.submits}, {args.submits / total:.1f} referrals/s (one client, sequential)")
    print(f"submit latency ms: p50 {percentile(durations, 50) * 1000:.1f}, "
          f"p95 {percentile(durations, 95) * 1000:.1f}, max {max(durations) * 1000:.1f}")
    print(f"SQL queries per submit: median {statistics.median(query_counts):.0f}, max {max(query_counts)}")
    if len(kinds) > 1:
        for kind, rows in by_kind.items():
            times = [d for d, _ in rows]
            print(f"  {kind}: p50 {percentile(times, 50) * 1000:.1f} ms, p95 {percentile(times, 95) * 1000:.1f} ms, "
                  f"SQL median {statistics.median(q for _, q in rows):.0f}")
    print(f"matcher ms per submit: mean {statistics.mean(matcher_times) * 1000:.2f}, "
          f"p95 {percentile(matcher_times, 95) * 1000:.2f}")


if __name__ == "__main__":
    main()
