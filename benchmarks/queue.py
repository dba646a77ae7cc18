"""Queue benchmark: an agency's queue through the API on PostgreSQL, first page and deep
keyset pages, in the largest queue and a typical one, with N referrals spread over the
child welfare services as unevenly as Norway's municipalities.

    python -m benchmarks.queue --referrals 1000000 --services 231 --requests 200

It uses its own database (BENCH_DATABASE_URL, default samvirke_bench_queue on local
PostgreSQL), generates the data once (kept between runs; --reset starts over), and reads
the queue in-process through the API as a real coordinator (each page is audited, as in
production). It prints latency percentiles, SQL statements per page and the plan of a
deep page.
"""

import argparse
import os
import statistics
import time

from .setup import django_for_benchmarks


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def services(count: int):
    """`count` municipalities, each with a child welfare service and a coordinator; the
    demo's Drammen is one of them. Weights follow a Zipf curve (the largest ~ Oslo)."""
    from agencies.models import Agency, Membership, Municipality, PoliceDistrict, User

    district = PoliceDistrict.objects.order_by("pk").first()
    have = list(Agency.objects.filter(kind=Agency.Kind.CHILD_WELFARE).select_related("municipality"))
    for n in range(len(have), count):
        municipality, _ = Municipality.objects.get_or_create(
            number=f"9{n:03d}", defaults={"name": f"Benchmark kommune {n}", "police_district": district})
        agency = Agency.objects.create(name=f"Barneverntjenesten {n}", kind=Agency.Kind.CHILD_WELFARE,
                                       municipality=municipality, email=f"bv{n}@example.invalid")
        user = User.objects.create(username=f"bench.koordinator{n}")
        Membership.objects.create(user=user, agency=agency, role=Membership.Role.COORDINATOR)
    agencies = list(Agency.objects.filter(kind=Agency.Kind.CHILD_WELFARE).select_related("municipality")
                    .order_by("pk"))[:count]
    weights = [1 / (rank + 1) for rank in range(len(agencies))]
    return agencies, weights


def time_requests(client, url, params, count):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    durations, statements = [], []
    for _ in range(count):
        connection.queries_log.clear()
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, params)
        durations.append(time.perf_counter() - started)
        statements.append(len(queries))
        assert response.status_code == 200, response.content[:300]
    return durations, statements, response.json()


def deep_cursor(agency, depth: int) -> str:
    """The cursor a coordinator would hold after paging `depth` rows down."""
    from referrals import queue

    row = queue.base(agency).order_by("urgency", "due_at", "pk")[depth - 1:depth].get()
    return queue.encode_cursor(row)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--referrals", type=int, default=1_000_000)
    parser.add_argument("--services", type=int, default=231)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--depth", type=int, default=10_000, help="rows down for the deep page")
    parser.add_argument("--reset", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/samvirke_bench_queue")
    django_for_benchmarks(reset=args.reset)

    from django.db import connection
    from django.db.models import Count
    from rest_framework.test import APIClient

    from agencies.models import Agency, Membership, User
    from referrals import queue
    from referrals.models import Referral, Routing

    from .generate import children_and_referrals

    agencies, weights = services(args.services)
    by_municipality = {a.municipality_id: a for a in agencies}
    have = Referral.objects.count()
    if have < args.referrals:
        reporter = User.objects.get(username="laerer")
        school = Agency.objects.get(kind=Agency.Kind.SCHOOL, memberships__user=reporter)
        started = time.perf_counter()
        children_and_referrals(count=args.referrals - have, reporter=reporter, reporting_agency=school,
                               municipalities=[a.municipality for a in agencies], weights=weights,
                               agency_for=lambda m: by_municipality[m.pk])
        print(f"generated {args.referrals - have} referrals in {time.perf_counter() - started:.0f} s")
    sizes = dict(Routing.objects.filter(is_open=True).values_list("agency").annotate(n=Count("pk")).order_by())
    ranked = sorted(agencies, key=lambda a: sizes.get(a.pk, 0), reverse=True)
    largest, typical = ranked[0], ranked[len(ranked) // 2]
    print(f"referrals: {Referral.objects.count()}, routings: {Routing.objects.count()}, "
          f"services: {len(agencies)}")

    url = "/api/v1/referrals/"
    for label, agency in (("largest queue", largest), ("typical queue", typical)):
        coordinator = Membership.objects.filter(agency=agency, role=Membership.Role.COORDINATOR).first().user
        client = APIClient()
        client.force_authenticate(coordinator)
        params = {"queue": agency.pk, "page_size": 25}
        size = sizes.get(agency.pk, 0)
        print(f"\n{label}: {agency.name}, {size} open referrals")
        cases = [("first page", params)]
        if size > args.depth:
            cases.append((f"{args.depth:,}-deep page", {**params, "cursor": deep_cursor(agency, args.depth)}))
        cases.append(("filtered: category B, overdue", {**params, "category": "B", "deadline": "overdue"}))
        for name, query in cases:
            time_requests(client, url, query, 3)  # warm up
            durations, statements, body = time_requests(client, url, query, args.requests)
            print(f"  {name}: p50 {percentile(durations, 50) * 1000:.1f} ms, "
                  f"p95 {percentile(durations, 95) * 1000:.1f} ms, "
                  f"{statistics.median(statements):.0f} SQL statements, {len(body['results'])} rows")
        # What the page and the counts cost on their own, without the request around them.
        filters = queue.Filters()
        for name, call in (("page query", lambda: queue.page(agency, filters, size=25)),
                           ("counts", lambda: queue.counts(agency))):
            samples = []
            for _ in range(max(10, args.requests // 4)):
                started = time.perf_counter()
                call()
                samples.append(time.perf_counter() - started)
            print(f"  {name} alone: p50 {percentile(samples, 50) * 1000:.1f} ms")

    if sizes.get(largest.pk, 0) > args.depth:
        deep = queue.after(queue.base(largest), deep_cursor(largest, args.depth)).order_by(
            "urgency", "due_at", "pk")[:26]
        print("\nplan of the deep page's rows:")
        print(deep.explain(analyze=True))
    connection.close()


if __name__ == "__main__":
    main()
