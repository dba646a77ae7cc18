from django.core.management import call_command

from agencies import matrix_doc, roles


def test_it_shows_the_current_role_matrix_in_the_docs():
    document = matrix_doc.DOC_PATH.read_text(encoding="utf-8")

    assert matrix_doc.render(document) == document, (
        "docs/access.md differs from agencies/roles.py: run `manage.py roles_matrix --write`.")


def test_it_renders_one_row_per_permission_and_one_column_per_role():
    rows = matrix_doc.table().splitlines()

    assert len(rows) == 2 + len(roles.MATRIX)
    assert rows[0].count("|") == 2 + len(roles.Role)
    decide = next(r for r in rows if r.startswith(f"| `{roles.DECIDE}`"))
    cells = dict(zip(list(roles.Role), (c.strip() for c in decide.split("|")[2:])))
    assert cells[roles.Role.COORDINATOR] == "yes"
    assert cells[roles.Role.REPORTER] == "—"


def test_it_notices_a_drifted_table(tmp_path, monkeypatch):
    stale = f"intro\n{matrix_doc.BEGIN}\n| old |\n{matrix_doc.END}\noutro\n"
    doc = tmp_path / "access.md"
    doc.write_text(stale, encoding="utf-8")
    monkeypatch.setattr(matrix_doc, "DOC_PATH", doc)

    assert matrix_doc.render(stale) != stale
    call_command("roles_matrix", "--write", verbosity=0)
    written = doc.read_text(encoding="utf-8")
    assert written.startswith("intro\n") and written.endswith("outro\n")
    assert matrix_doc.table() in written
