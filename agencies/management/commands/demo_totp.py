"""Print a demo user's current one-time code (development only), so `make run` stays
usable with two-factor sign-in."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp

from agencies import two_factor
from agencies.models import User


class Command(BaseCommand):
    help = "Print the current one-time code of a demo user's authenticator device (development only)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        if settings.PRODUCTION:
            raise CommandError("demo_totp is for development only.")
        user = User.objects.filter(username=username).first()
        if user is not None and not two_factor.required_for(user):
            raise CommandError(f"{username} signs in with the password alone.")
        device = two_factor.confirmed_device(user) if user is not None else None
        if device is None:
            raise CommandError(f"{username} has no confirmed authenticator device (run seed_demo).")
        self.stdout.write(f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}")
