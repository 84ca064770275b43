"""`python manage.py createeditor USERNAME`: a staff account in the Editors group, and nothing more."""

import getpass
import sys

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

EDITORS = "Editors"


class Command(BaseCommand):
    help = "Create an editor (staff, in the Editors group, not a superuser), or make an existing user one."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--no-input",
            action="store_false",
            dest="interactive",
            help="Do not ask for a password; set one later with `manage.py changepassword USERNAME`.",
        )

    def handle(self, *args, username, email, interactive, **options):
        group = Group.objects.filter(name=EDITORS).first()
        if group is None:
            raise CommandError('The "Editors" group does not exist yet; run `python manage.py migrate` first.')
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        password = self._ask_password(username) if interactive and user is None and sys.stdin.isatty() else None
        with transaction.atomic():
            created = user is None
            if created:
                user = User.objects.create_user(username=username, email=email, password=password)
            user.is_staff = True
            user.save(update_fields=["is_staff"])
            user.groups.add(group)
        if created:
            self.stdout.write(self.style.SUCCESS(f"Created editor {username}."))
        else:
            self.stdout.write(self.style.SUCCESS(f"{username} already existed and is now an editor."))
        if created and password is None:
            self.stdout.write(f"No password set yet: run `python manage.py changepassword {username}`.")

    def _ask_password(self, username: str) -> str:
        while True:
            password = getpass.getpass(f"Password for {username}: ")
            if password != getpass.getpass("Password (again): "):
                self.stderr.write("The two passwords differ; try again.")
                continue
            try:
                validate_password(password)
            except ValidationError as error:
                self.stderr.write(" ".join(error.messages))
                continue
            return password
