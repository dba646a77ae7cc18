import factory

from agencies.models import Agency, Membership, Municipality, PoliceDistrict, User

PASSWORD = "Test-password-2026"


class PoliceDistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PoliceDistrict
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"pd{n}")
    name = factory.Sequence(lambda n: f"Politidistrikt {n}")


class MunicipalityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Municipality
        django_get_or_create = ("number",)

    number = factory.Sequence(lambda n: f"{1000 + n:04d}")
    name = factory.Sequence(lambda n: f"Kommune {n}")
    police_district = factory.SubFactory(PoliceDistrictFactory)


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency

    name = factory.Sequence(lambda n: f"Agency {n}")
    kind = Agency.Kind.SCHOOL
    municipality = factory.SubFactory(MunicipalityFactory)
    email = factory.Sequence(lambda n: f"agency{n}@example.invalid")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.invalid")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    agency = factory.SubFactory(AgencyFactory)
    role = Membership.Role.REPORTER


def national_id(born, individual: int = 512) -> str:
    """A valid fødselsnummer (classic check digits) for a child born in 2000-2039."""
    from stdnum.no import fodselsnummer

    base = f"{born:%d%m%y}{individual:03d}"
    k1 = fodselsnummer.calc_check_digit1(base)
    if k1 == "10":
        return national_id(born, individual + 1)
    k2 = fodselsnummer.calc_check_digit2(base + k1)
    if k2 == "10":
        return national_id(born, individual + 1)
    return base + k1 + k2
