"""A check over the whole test run: no national identity number and no child's name ever
reaches a log record or a sent e-mail.

Every log record of the run (any logger, any level, with its traceback) is scanned as it is
emitted; the e-mails of each test (Django's test outbox) after the test. What counts:

* a national identity number: 11 digits, alone or written 6 + 5 with a space or hyphen,
  that is a valid fødselsnummer or D-number (python-stdnum, plus the 2032 check-digit
  rule in referrals.identity), whoever's it is;
* a child's name: every given and family name of every Child saved during the run (a
  signal collects them), as a whole word.

Not scanned: Django's SQL statement log (see SQL_LOGGER).

Findings are collected, listed in the terminal summary and fail the run. The functions
are tested on their own in tests/security/test_leak_scan.py.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

NATIONAL_ID_CANDIDATE = re.compile(r"(?<!\d)(\d{6})[ \-]?(\d{5})(?!\d)")
MIN_NAME_LENGTH = 3
# Django logs every SQL statement with its parameters only while queries are being captured
# (DEBUG, or a test counting queries): never in production (DEBUG off, level INFO). Those
# records hold whatever the test wrote to the database, so they are not scanned.
SQL_LOGGER = "django.db.backends"
# Tests whose children are named by a generator: the API fuzzer invents a child's name from
# the same words it sends as path and query values ("code", "deadline_open_due"), so its own
# inventions coming back in a "Not Found: /api/v1/consents/code/" are no leak. The names
# the other tests save are still looked for in everything these tests log.
INVENTED_NAMES_IN = ("tests/security/test_api_fuzz.py",)


def national_ids_in(text: str) -> list[str]:
    from stdnum.no import fodselsnummer

    from referrals.identity import validate_national_id

    found = []
    for match in NATIONAL_ID_CANDIDATE.finditer(text):
        number = match.group(1) + match.group(2)
        try:
            validate_national_id(number)
        except Exception:  # not a valid number under our rules: maybe under stdnum's
            if not fodselsnummer.is_valid(number):
                continue
        found.append(number)
    return found


def names_in(text: str, names: set[str]) -> list[str]:
    return [name for name in sorted(names) if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text)]


@dataclass
class LeakScan:
    child_names: set[str] = field(default_factory=set)
    texts: list[tuple[str, str]] = field(default_factory=list)  # (where, text)
    findings: list[str] = field(default_factory=list)
    current_test: str = "(outside a test)"

    def see(self, where: str, text: str) -> None:
        for number in national_ids_in(text):
            excerpt = NATIONAL_ID_CANDIDATE.sub("<number>", text[:160])
            self.findings.append(f"{where}: a national identity number ({number[:2]}…) in {excerpt!r}")
        self.texts.append((where, text))

    def finish(self) -> list[str]:
        """Names are known only once their children were saved: scan for them at the end."""
        names = {n for n in self.child_names if len(n) >= MIN_NAME_LENGTH}
        for where, text in self.texts:
            for name in names_in(text, names):
                excerpt = NATIONAL_ID_CANDIDATE.sub("<number>", text[:160])
                self.findings.append(f"{where}: a child's name ({name!r}) in {excerpt!r}")
        return self.findings


class _Handler(logging.Handler):
    def __init__(self, scan: LeakScan):
        super().__init__(level=logging.DEBUG)
        self.scan = scan
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(SQL_LOGGER):
            return
        try:
            self.scan.see(f"log of {self.scan.current_test}", self.format(record))
        except Exception:  # a broken record must not break the test run
            self.handleError(record)


SCAN = LeakScan()
_HANDLER = _Handler(SCAN)


def _collect_child_names(sender, instance, **kwargs):
    if sender._meta.label == "referrals.Child" and not SCAN.current_test.startswith(INVENTED_NAMES_IN):
        SCAN.child_names.update(n.strip() for n in (instance.given_name, instance.family_name) if n)


def _attach() -> None:
    """Attach the scanning handler to the root logger (again, if a later django.setup(), e.g.
    importing the WSGI application, re-applied LOGGING and replaced the root's handlers)."""
    root = logging.getLogger()
    if _HANDLER not in root.handlers:
        root.addHandler(_HANDLER)
    if root.level > logging.DEBUG or root.level == logging.NOTSET:
        # Records below the root's level never reach a handler: let every record through
        # to this one (the console handler keeps its own level).
        for handler in root.handlers:
            if handler is not _HANDLER and handler.level == logging.NOTSET:
                handler.setLevel(root.level or logging.WARNING)
        root.setLevel(logging.DEBUG)


def pytest_configure(config):
    from django.db.models.signals import post_save

    _attach()
    post_save.connect(_collect_child_names, dispatch_uid="leak-scan-child-names", weak=False)


def pytest_runtest_setup(item):
    _attach()
    SCAN.current_test = item.nodeid


def pytest_runtest_teardown(item):
    from django.core import mail

    for message in getattr(mail, "outbox", None) or []:
        parts = [message.subject, message.body, " ".join(message.to)]
        parts += [content for content, _type in getattr(message, "alternatives", [])]
        SCAN.see(f"e-mail in {item.nodeid}", "\n".join(str(p) for p in parts))
    SCAN.current_test = "(outside a test)"


def pytest_sessionfinish(session, exitstatus):
    if SCAN.finish() and session.exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if SCAN.findings:
        terminalreporter.section("personal data in logs or e-mails", red=True)
        for finding in SCAN.findings[:50]:
            terminalreporter.line(finding)
        terminalreporter.line(f"{len(SCAN.findings)} finding(s): the run fails.")
    else:
        terminalreporter.line(
            f"leak scan: {len(SCAN.texts)} log records and e-mails scanned for national identity "
            f"numbers and {len(SCAN.child_names)} children's names: none found.")
