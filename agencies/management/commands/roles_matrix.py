"""Print the role matrix as a Markdown table, or write it into docs/access.md."""

from django.core.management.base import BaseCommand, CommandError

from agencies import matrix_doc


class Command(BaseCommand):
    help = "Print the role matrix as Markdown; with --write, refresh it in docs/access.md."

    def add_arguments(self, parser):
        parser.add_argument("--write", action="store_true", help="Rewrite the table in docs/access.md.")

    def handle(self, *args, write=False, **options):
        if not write:
            self.stdout.write(matrix_doc.table())
            return
        try:
            document = matrix_doc.DOC_PATH.read_text(encoding="utf-8")
            matrix_doc.DOC_PATH.write_text(matrix_doc.render(document), encoding="utf-8")
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Role matrix written to {matrix_doc.DOC_PATH.name}."))
