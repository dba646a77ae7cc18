"""The starting data: the concern taxonomy of DOMAIN.md section 4, the legal bases, and the
routing rule set of section 5. All of it is editable afterwards (admin)."""

from datetime import timedelta

from django.db import migrations

CATEGORIES = [
    # code, name nb, name en, urgency, who acts nb, who acts en
    ("A", "Akutt fare", "Immediate danger", "P0",
     "Politiet (112) og barnevernvakten", "Police (112) and the child welfare emergency unit"),
    ("B", "Rekruttering til vold som tjeneste", "Recruitment to violence for hire", "P1",
     "Barneverntjenesten, politikontakten og SLT", "Child welfare, the police liaison and SLT"),
    ("C", "Seksuell utnyttelse", "Sexual exploitation", "P1",
     "Barneverntjenesten og politiet (Statens barnehus)", "Child welfare and the police (Statens barnehus)"),
    ("D", "Tvangsarbeid eller tvungne tjenester", "Forced labour or services", "P1",
     "Barneverntjenesten og politiet", "Child welfare and the police"),
    ("E", "Menneskehandel knyttet til migrasjon", "Migration-linked trafficking", "P1",
     "Barneverntjenesten, politiet og utlendingsmyndighetene", "Child welfare, the police and immigration"),
    ("F", "Vold, overgrep eller omsorgssvikt i hjemmet", "Abuse or neglect at home", "P2",
     "Barneverntjenesten (og politiet ved mistanke om lovbrudd)",
     "Child welfare (and the police if an offence is suspected)"),
]

INDICATORS = [
    # code, category, nb, en
    ("A-violent-job", "A", "Planlagt eller nært forestående voldsoppdrag", "A planned or imminent violent job"),
    ("A-weapon", "A", "Våpen eller eksplosiver", "Weapon or explosives"),
    ("A-threat-to-life", "A", "Trussel mot liv", "Threat to life"),
    ("A-missing", "A", "Barnet er savnet og i fare", "The child is missing and at risk"),
    ("B-moved-platform", "B", "Kontaktet på Snapchat eller Instagram, så flyttet over til Telegram, Signal eller Discord",
     "Contacted on Snapchat or Instagram, then moved to Telegram, Signal or Discord"),
    ("B-jobs-talk", "B", "Snakker om «oppdrag», poeng eller rangering", "Talks of «oppdrag» (jobs), points or ranks"),
    ("B-sent-id", "B", "Har sendt bilde av seg selv eller legitimasjon til noen",
     "Has sent a photo of themselves or their ID to someone"),
    ("B-filmed-blackmail", "B", "Filmet vold, utpressing eller frykt", "Filmed violence, blackmail or fear"),
    ("B-unexplained-goods", "B", "Uforklarlige penger, klær eller flere telefoner eller SIM-kort",
     "Unexplained cash, clothes, several phones or SIM cards"),
    ("B-unexplained-travel", "B", "Uforklarlige reiser", "Unexplained travel"),
    ("B-weapons", "B", "Våpen", "Weapons"),
    ("B-older-contacts", "B", "Nye, eldre kontakter eller koblinger til svenske nettverk",
     "New older contacts or links to Swedish networks"),
    ("B-absence-decline", "B", "Plutselig fravær eller fall i skolearbeidet", "Sudden absence or decline at school"),
    ("B-promised-pay", "B", "Snakker om lovet betaling eller en «exit-plan»", "Talks of promised pay or an «exit plan»"),
    ("B-job-carried-out", "B", "Har utført et voldsoppdrag", "Has carried out a violent job"),
    ("C-older-partner", "C", "Eldre «kjæreste»", "An older «boyfriend» or «girlfriend»"),
    ("C-gifts-money", "C", "Gaver eller penger", "Gifts or money"),
    ("C-hotels-flats", "C", "Hoteller eller leiligheter", "Hotels or flats"),
    ("C-online-sexual", "C", "Seksuelt innhold på nett", "Online sexual content"),
    ("D-crime-for-others", "D", "Tigging, tyveri, salg eller produksjon av narkotika",
     "Begging, theft, drug selling or production"),
    ("D-labour", "D", "Husarbeid, barnepass, familierestaurant, renhold, bilvask, gårdsarbeid eller gatesalg",
     "Domestic work, childcare, family restaurant, cleaning, car wash, farm work or street sales"),
    ("D-exhausted", "D", "Utslitt eller mye borte", "Exhausted or often absent"),
    ("D-no-control", "D", "Har ikke kontroll over egen inntekt", "No control over their own earnings"),
    ("E-unaccompanied", "E", "Enslig mindreårig eller usikker alder", "Unaccompanied or of uncertain age"),
    ("E-claims-older", "E", "Sier at hen er eldre enn hen er", "Claims to be older than they are"),
    ("E-debt", "E", "Gjeld til smuglere", "Debt to smugglers"),
    ("E-id-held", "E", "Noen andre har barnets ID-papirer", "Someone else holds their ID papers"),
    ("E-companion", "E", "Kontrolleres av en «ledsager»", "Controlled by a «companion»"),
    ("E-left-reception", "E", "Har forlatt et asylmottak", "Has left a reception centre"),
    ("F-neglect", "F", "Alvorlig omsorgssvikt", "Serious neglect of care"),
    ("F-violence", "F", "Vold eller overgrep i hjemmet", "Violence or abuse at home"),
    ("F-untreated", "F", "Alvorlig sykdom eller skade som ikke blir behandlet", "Serious illness or injury not treated"),
    ("F-behaviour", "F", "Alvorlige atferdsvansker", "Serious behavioural problems"),
]

LEGAL_BASES = [
    # code, law reference, nb, en, allows sharing without consent
    ("bvl-13-2", "barnevernsloven § 13-2", "Opplysningsplikt til barneverntjenesten",
     "Duty to report to the child welfare service", True),
    ("strl-196", "straffeloven § 196", "Avvergingsplikt", "Duty to avert serious crime", True),
    ("fvl-13b-5", "forvaltningsloven § 13 b nr. 5", "Deling for å fremme avgiverorganets egne oppgaver",
     "Sharing to further the sharing body's own tasks", True),
    ("fvl-13b-6", "forvaltningsloven § 13 b nr. 6", "Anmelde eller forebygge lovbrudd",
     "Reporting or preventing crime", True),
    ("fvl-13b-7", "forvaltningsloven § 13 b nr. 7", "Avverge fare for liv eller alvorlig skade på helse",
     "Averting danger to life or serious harm to health", True),
    ("politiregisterloven", "politiregisterloven §§ 23–35", "Politiets utlevering av opplysninger",
     "Disclosure by the police", True),
    ("consent", "forvaltningsloven § 13 a nr. 1 (samtykke)", "Samtykke fra barnet eller foreldrene",
     "Consent of the child or the guardians", False),
]

HOUR, SAME_DAY, TWO_DAYS = timedelta(hours=1), timedelta(hours=24), timedelta(days=2)
CLOCKS = {
    HOUR: ("Straks; kvitteres innen 1 time", "Immediately; acknowledge within 1 hour"),
    SAME_DAY: ("Samme dag", "Same day"),
    TWO_DAYS: ("1–2 virkedager", "1-2 working days"),
    None: ("Gjennomgang innen 7 dager; tilbakemelding til melder innen 3 uker",
           "Review within 7 days; feedback to the reporter within 3 weeks"),
}
_TRAFFICKING_NB = "Mistanke om menneskehandel med et barn (straffeloven § 257): politiet skal involveres."
_TRAFFICKING_EN = "Suspected trafficking of a minor (straffeloven § 257): the police must be involved."
_IMMIGRATION_NB = "Mistanke om menneskehandel knyttet til migrasjon: utlendingsmyndighetene skal involveres."
_IMMIGRATION_EN = "Suspected migration-linked trafficking: the immigration authorities must be involved."
_RECRUIT_NB = "Rekruttering til kriminalitet: politikontakten (bekymringssamtale) og SLT skal involveres."
_RECRUIT_EN = "Recruitment to crime: the police liaison (concern conversation) and SLT must be involved."
_UNDER15_NB = "Et barn under 15 år (kriminell lavalder) har utført et oppdrag: politiet etterforsker nettverket."
_UNDER15_EN = "A child under 15 (the age of criminal responsibility) has carried out a job: the police investigate the network."

RULES = [
    # name, conditions, target kind, legal basis, acknowledge within, reason nb, reason en
    ("immediate-danger-police", {"categories": ["A"]}, "police", "strl-196", HOUR,
     "Akutt fare: politiet skal varsles straks (avvergingsplikt).",
     "Immediate danger: the police must be told at once (duty to avert)."),
    ("immediate-danger-emergency-unit", {"categories": ["A"]}, "child_welfare_emergency", "fvl-13b-7", HOUR,
     "Akutt fare: barnevernvakten vurderer akutte tiltak.",
     "Immediate danger: the child welfare emergency unit considers emergency measures."),
    ("duty-to-report", {"any_duty_trigger": True}, "child_welfare", "bvl-13-2", None,
     "Opplysningsplikten etter barnevernsloven § 13-2 er utløst: meldingen er pliktig og krever ikke samtykke.",
     "The duty to report under barnevernsloven § 13-2 applies: the report is mandatory and needs no consent."),
    ("concern-below-duty", {"categories": ["B", "C", "D", "E", "F"], "any_duty_trigger": False},
     "child_welfare", "consent", None,
     "En bekymring under terskelen for opplysningsplikt vurderes av barneverntjenesten i barnets kommune, med samtykke.",
     "A concern below the duty-to-report threshold is reviewed by the child's municipal child welfare service, with consent."),
    ("trafficking-police", {"duty_triggers": ["trafficking"]}, "police", "fvl-13b-6", SAME_DAY,
     _TRAFFICKING_NB, _TRAFFICKING_EN),
    ("exploitation-police", {"categories": ["C", "D", "E"]}, "police", "fvl-13b-6", SAME_DAY,
     _TRAFFICKING_NB, _TRAFFICKING_EN),
    ("trafficking-immigration", {"duty_triggers": ["trafficking"], "migration_linked": True},
     "immigration", "fvl-13b-5", SAME_DAY, _IMMIGRATION_NB, _IMMIGRATION_EN),
    ("exploitation-immigration", {"categories": ["C", "D", "E"], "migration_linked": True},
     "immigration", "fvl-13b-5", SAME_DAY, _IMMIGRATION_NB, _IMMIGRATION_EN),
    ("recruitment-police", {"categories": ["B"], "any_duty_trigger": True}, "police", "fvl-13b-6", TWO_DAYS,
     _RECRUIT_NB, _RECRUIT_EN),
    ("recruitment-slt", {"categories": ["B"], "any_duty_trigger": True}, "slt", "fvl-13b-6", TWO_DAYS,
     _RECRUIT_NB, _RECRUIT_EN),
    ("recruitment-police-consent", {"categories": ["B"], "any_duty_trigger": False}, "police", "consent",
     TWO_DAYS, _RECRUIT_NB, _RECRUIT_EN),
    ("recruitment-slt-consent", {"categories": ["B"], "any_duty_trigger": False}, "slt", "consent",
     TWO_DAYS, _RECRUIT_NB, _RECRUIT_EN),
    ("under-15-job-police", {"indicators": ["B-job-carried-out"], "child_younger_than": 15}, "police",
     "fvl-13b-6", SAME_DAY, _UNDER15_NB, _UNDER15_EN),
    ("under-15-job-child-welfare", {"indicators": ["B-job-carried-out"], "child_younger_than": 15},
     "child_welfare", "bvl-13-2", SAME_DAY, _UNDER15_NB, _UNDER15_EN),
    ("abuse-at-home-police", {"indicators": ["F-violence"]}, "police", "fvl-13b-6", SAME_DAY,
     "Mistanke om vold eller overgrep i hjemmet: politiet vurderer etterforskning og Statens barnehus.",
     "Suspected violence or abuse at home: the police consider an investigation and Statens barnehus."),
]


def load(apps, schema_editor):
    Category = apps.get_model("referrals", "Category")
    Indicator = apps.get_model("referrals", "Indicator")
    LegalBasis = apps.get_model("referrals", "LegalBasis")
    RoutingRule = apps.get_model("referrals", "RoutingRule")

    categories = {}
    for code, nb, en, urgency, hint_nb, hint_en in CATEGORIES:
        categories[code], _ = Category.objects.update_or_create(code=code, defaults={
            "name_nb": nb, "name_en": en, "urgency": urgency,
            "agencies_hint_nb": hint_nb, "agencies_hint_en": hint_en})
    indicators = {}
    for order, (code, category, nb, en) in enumerate(INDICATORS):
        indicators[code], _ = Indicator.objects.update_or_create(code=code, defaults={
            "category": categories[category], "text_nb": nb, "text_en": en, "order": order})
    bases = {}
    for code, ref, nb, en, without_consent in LEGAL_BASES:
        bases[code], _ = LegalBasis.objects.update_or_create(code=code, defaults={
            "law_reference": ref, "description_nb": nb, "description_en": en,
            "allows_without_consent": without_consent})
    for priority, (name, cond, target, basis, ack, reason_nb, reason_en) in enumerate(RULES):
        clock_nb, clock_en = CLOCKS[ack]
        rule, _ = RoutingRule.objects.update_or_create(name=name, defaults={
            "reason_nb": reason_nb, "reason_en": reason_en, "priority": (priority + 1) * 10,
            "any_duty_trigger": cond.get("any_duty_trigger"),
            "duty_triggers": cond.get("duty_triggers", []),
            "child_younger_than": cond.get("child_younger_than"),
            "migration_linked": cond.get("migration_linked"),
            "target_kind": target, "legal_basis": bases[basis], "acknowledge_within": ack,
            "clock_nb": clock_nb, "clock_en": clock_en})
        rule.categories.set([categories[c] for c in cond.get("categories", [])])
        rule.indicators.set([indicators[i] for i in cond.get("indicators", [])])


class Migration(migrations.Migration):
    dependencies = [("referrals", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
