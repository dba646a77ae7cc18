"""django-guardian direct foreign-key grants on one referral (e.g. an assigned caseworker),
as guardian's performance guide recommends over its generic tables."""

from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase


class ReferralUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey("referrals.Referral", on_delete=models.CASCADE)


class ReferralGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey("referrals.Referral", on_delete=models.CASCADE)
