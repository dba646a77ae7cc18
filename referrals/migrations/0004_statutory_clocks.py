"""The statutory clocks of DOMAIN.md section 3, as data with their law references."""

from django.db import migrations

CLOCKS = [
    # code, law reference, nb, en, days, months
    ("review", "barnevernsloven § 2-1",
     "Barneverntjenesten skal gjennomgå meldingen snarest og senest innen én uke.",
     "Child welfare reviews the concern as soon as possible and within one week.", 7, 0),
    ("investigation", "barnevernsloven § 2-2",
     "Undersøkelsen skal være gjennomført innen tre måneder etter fristen for gjennomgang.",
     "The investigation is finished within three months after the review deadline.", 0, 3),
    ("investigation_extended", "barnevernsloven § 2-2",
     "I særlige tilfeller kan undersøkelsen forlenges til seks måneder.",
     "In special cases the investigation may be extended to six months.", 0, 6),
    ("feedback_receipt", "barnevernsloven § 13-2 (tilbakemelding til offentlig melder)",
     "Melder fra offentlig instans skal få bekreftelse på mottak innen tre uker.",
     "A reporter from a public body gets confirmation of receipt within three weeks.", 21, 0),
    ("feedback_after_investigation", "barnevernsloven § 13-2 (tilbakemelding til offentlig melder)",
     "Melder skal få ny tilbakemelding innen tre uker etter at undersøkelsen er avsluttet.",
     "The reporter gets feedback again within three weeks after the investigation ends.", 21, 0),
]


def load(apps, schema_editor):
    StatutoryClock = apps.get_model("referrals", "StatutoryClock")
    for code, ref, nb, en, days, months in CLOCKS:
        StatutoryClock.objects.update_or_create(code=code, defaults={
            "law_reference": ref, "description_nb": nb, "description_en": en, "days": days, "months": months})


class Migration(migrations.Migration):
    dependencies = [("referrals", "0003_triage")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
