import pytest

from referrals.models import Referral
from tests.factories import MembershipFactory


@pytest.fixture
def file_referral(api, referral_payload):
    """File a referral as the given reporter through the API; returns the Referral."""

    def filing(user, **changes):
        response = api(user).post("/api/v1/referrals/", {**referral_payload, **changes}, format="json")
        assert response.status_code == 201, response.content
        return Referral.objects.get(reference=response.json()["reference"])

    return filing


@pytest.fixture
def outsider_auditor(world):
    """An auditor of Bergen's child welfare service: sees nothing of Drammen's."""
    return MembershipFactory(user__username="bergen_auditor", agency=world.outsider_child_welfare,
                             role="auditor").user
