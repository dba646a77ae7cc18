"""Which kinds of agency may receive a disclosure on each legal basis of the starting set
(DOMAIN.md sections 3 and 6). Editable afterwards in the admin; empty means any kind."""

from django.db import migrations

AGENCY_KINDS = {
    # The duty to report goes to child welfare (the emergency unit out of hours).
    "bvl-13-2": ["child_welfare", "child_welfare_emergency"],
    # The duty to avert: tell the police, or someone who can avert it (child welfare).
    "strl-196": ["police", "child_welfare", "child_welfare_emergency"],
    # Furthering the sharing body's own tasks: any public body it cooperates with.
    "fvl-13b-5": [],
    # Reporting or preventing crime: the police, and SLT's crime prevention with them.
    "fvl-13b-6": ["police", "slt", "immigration"],
    # Averting danger to life or health: whoever can avert it.
    "fvl-13b-7": [],
    # The police's own disclosure to other bodies.
    "politiregisterloven": ["child_welfare", "child_welfare_emergency", "slt", "immigration", "health"],
    # Consent: to the recipients the consent names.
    "consent": [],
}


def load(apps, schema_editor):
    LegalBasis = apps.get_model("referrals", "LegalBasis")
    for code, kinds in AGENCY_KINDS.items():
        LegalBasis.objects.filter(code=code).update(agency_kinds=kinds)


class Migration(migrations.Migration):
    dependencies = [("referrals", "0009_consent_and_disclosures")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
