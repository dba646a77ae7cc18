"""A data generator for benchmarks: children and submitted referrals in bulk, routed to
child welfare services, with realistic name and birth-date spread (many share a date)."""

import random
from datetime import date, timedelta

from django.db import connection, transaction
from django.utils import timezone

GIVEN = ["Ola", "Kari", "Jonas", "Emma", "Noah", "Nora", "Filip", "Sofie", "Lukas", "Ella", "Oskar", "Maja",
         "Aksel", "Olivia", "Emil", "Leah", "Jakob", "Ingrid", "William", "Sara", "Mohammed", "Amina",
         "Bjørn", "Åse", "Øystein", "Ahmed", "Zainab", "Mateusz", "Aleksander", "Hedda"]
FAMILY = ["Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen", "Kristiansen", "Jensen",
          "Karlsen", "Johnsen", "Pettersen", "Eriksen", "Berg", "Haugen", "Hagen", "Ødegård", "Ali", "Ahmed",
          "Nowak", "Kowalski", "Dahl", "Lie", "Moen", "Strand", "Solberg", "Bakken", "Aas", "Holm", "Vik"]


def children_and_referrals(*, count: int, reporter, reporting_agency, municipalities, agency_for,
                           seed: int = 7, batch: int = 5000, weights=None) -> None:
    """Create `count` children, each with one submitted referral routed to the child
    welfare service `agency_for(municipality)`. Bulk inserts, no audit rows: this is the
    background data the measured requests run against."""
    from referrals import clocks
    from referrals.models import Category, Child, LegalBasis, Referral, Routing

    rng = random.Random(seed)
    categories = {c.code: c for c in Category.objects.all()}
    basis = LegalBasis.objects.get(code="bvl-13-2")
    through = Referral.categories.through
    start = date(2008, 1, 1)
    now = timezone.now()
    made = 0
    while made < count:
        n = min(batch, count - made)
        with transaction.atomic():
            children = []
            for _ in range(n):
                dob = start + timedelta(days=rng.randrange(18 * 365))
                if rng.random() < 0.05:  # unknown birthdays are often registered as 1 January
                    dob = dob.replace(month=1, day=1)
                children.append(Child(given_name=rng.choice(GIVEN), family_name=rng.choice(FAMILY),
                                      date_of_birth=dob,
                                      municipality=rng.choices(municipalities, weights=weights)[0]))
            Child.objects.bulk_create(children, batch_size=batch)
            referrals = [
                Referral(child=c, reporter=reporter, reporting_agency=reporting_agency,
                         status=Referral.Status.SUBMITTED, concern="Generated for a benchmark.",
                         urgency=rng.choice(["P0", "P1", "P1", "P1", "P2", "P2", "P3"]),
                         submitted_at=now - timedelta(minutes=rng.randrange(60 * 24 * 365)))
                for c in children
            ]
            Referral.objects.bulk_create(referrals, batch_size=batch)
            through.objects.bulk_create(
                [through(referral_id=r.pk, category_id=categories[rng.choice("BCDEF")].pk) for r in referrals],
                batch_size=batch)
            Routing.objects.bulk_create(
                [Routing(referral=r, agency=agency_for(r.child.municipality), legal_basis=basis,
                         urgency=r.urgency, status=r.status, due_at=clocks.due(r.submitted_at, days=7))
                 for r in referrals], batch_size=batch)
        made += n
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
