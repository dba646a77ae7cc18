"""Uploaded consent documents: where they are kept, what kinds are taken, and the cap on
every upload.

The files live in private storage (STORAGES["consent_documents"]), outside anything the web
server serves; they have no URL and are read only through the access-checked, audited
download (selectors.consent_document). The kind of a file is decided by its first bytes,
never by the name or content type the client sends."""

import hashlib
import secrets
from contextlib import contextmanager
from dataclasses import dataclass
from io import BytesIO

from django.core.files.storage import FileSystemStorage, storages
from django.core.files.uploadedfile import InMemoryUploadedFile, UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.db import transaction
from django.http import FileResponse
from django.template.defaultfilters import filesizeformat
from django.utils.functional import LazyObject, empty
from django.utils.translation import gettext as _

# The longest client file name kept (for the consent page only).
DOCUMENT_NAME_MAX_LENGTH = 120
# The largest document taken (and the most of any upload that is kept while it arrives).
DOCUMENT_MAX_BYTES = 5 * 1024 * 1024
# What a document may be: (content type, file extension, the bytes it starts with).
DOCUMENT_KINDS = [
    ("application/pdf", ".pdf", b"%PDF-"),
    ("image/png", ".png", b"\x89PNG\r\n\x1a\n"),
    ("image/jpeg", ".jpg", b"\xff\xd8\xff"),
]
DOCUMENT_ACCEPT = ",".join(content_type for content_type, _ext, _magic in DOCUMENT_KINDS)
_SNIFF_BYTES = max(len(magic) for _type, _ext, magic in DOCUMENT_KINDS)


def kind_of(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) of a file that starts with `head`, or None."""
    for content_type, extension, magic in DOCUMENT_KINDS:
        if head.startswith(magic):
            return content_type, extension
    return None


def sniff(document) -> tuple[str, str] | None:
    document.seek(0)
    head = document.read(_SNIFF_BYTES)
    document.seek(0)
    return kind_of(head)


def extension_for(content_type: str) -> str:
    return next((ext for kind, ext, _magic in DOCUMENT_KINDS if kind == content_type), "")


def download_response(consent, handle) -> FileResponse:
    """The document as a download named after the consent (never the client's file name),
    in the content type its first bytes showed, never sniffed or cached by the browser."""
    response = FileResponse(handle, as_attachment=True, content_type=consent.document_type,
                            filename=consent.reference + extension_for(consent.document_type))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


class PrivateFileSystemStorage(FileSystemStorage):
    """A file system storage whose files have no public address: url() refuses, so no page
    can link past the access check by mistake."""

    def url(self, name):
        raise ValueError("A private file has no URL: serve it through an access-checked view.")


class _ConsentDocuments(LazyObject):
    def _setup(self):
        self._wrapped = storages["consent_documents"]


consent_documents = _ConsentDocuments()


def consent_document_storage():
    """The storage of Consent.document (a callable, so migrations name no location)."""
    return consent_documents


@receiver(setting_changed)
def _storages_changed(*, setting, **kwargs):
    if setting == "STORAGES":
        consent_documents._wrapped = empty


class OversizedUpload(UploadedFile):
    """Stands in for an upload larger than DOCUMENT_MAX_BYTES: none of it was kept, but its
    size says how large it was, so the service refuses it in words."""

    def __init__(self, name, content_type, size):
        super().__init__(BytesIO(), name=name, content_type=content_type, size=size)


class CappedMemoryUploadHandler(FileUploadHandler):
    """The one upload handler (FILE_UPLOAD_HANDLERS): a file is held in memory while it
    arrives, never in a temporary file, and no more than DOCUMENT_MAX_BYTES of it. A larger
    one becomes an OversizedUpload, so the form says it is too large rather than the file
    silently vanishing."""

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0
        self.file = BytesIO()

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received <= DOCUMENT_MAX_BYTES:
            self.file.write(raw_data)
        elif self.file.tell():
            self.file = BytesIO()  # too large: what arrived so far is let go
        return None

    def file_complete(self, file_size):
        if self.received > DOCUMENT_MAX_BYTES:
            return OversizedUpload(self.file_name, self.content_type, self.received)
        self.file.seek(0)
        return InMemoryUploadedFile(file=self.file, field_name=self.field_name, name=self.file_name,
                                    content_type=self.content_type, size=self.received, charset=self.charset,
                                    content_type_extra=self.content_type_extra)


# --- checking and storing a document (consent services) -----------------------------


@dataclass(frozen=True)
class CheckedDocument:
    file: UploadedFile
    content_type: str
    extension: str
    sha256: str
    name: str


def display_name(name: str) -> str:
    """The client's file name for the consent page: no folders, no control characters, at
    most DOCUMENT_NAME_MAX_LENGTH characters (the extension kept)."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    if len(name) > DOCUMENT_NAME_MAX_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if dot and stem and len(extension) <= 10:
            return stem[:DOCUMENT_NAME_MAX_LENGTH - len(extension) - 1].rstrip() + dot + extension
        return name[:DOCUMENT_NAME_MAX_LENGTH]
    return name


def inspect(document: UploadedFile | None) -> tuple[CheckedDocument | None, list[str]]:
    """The document's kind and checksum, or what is wrong with it."""
    if document is None:
        return None, []
    size = document.size or 0
    if size == 0:
        return None, [_("The file is empty.")]
    if size > DOCUMENT_MAX_BYTES:
        return None, [_("The document may be at most %(limit)s.") % {"limit": filesizeformat(DOCUMENT_MAX_BYTES)}]
    kind = sniff(document)
    if kind is None:
        return None, [_("Only a PDF, PNG or JPEG file can be attached, and this file is none of them.")]
    digest = hashlib.sha256()
    for chunk in document.chunks():
        digest.update(chunk)
    document.seek(0)
    return CheckedDocument(file=document, content_type=kind[0], extension=kind[1], sha256=digest.hexdigest(),
                     name=display_name(document.name)), []


@contextmanager
def atomic_with_files():
    """A transaction that removes the files written in it (names appended to the list it
    gives) when it rolls back, so a refused or failed write leaves no file behind."""
    written: list[str] = []
    try:
        with transaction.atomic():
            yield written
    except BaseException:
        for name in written:
            consent_documents.delete(name)
        raise


def store(consent, document: CheckedDocument, written: list[str]) -> None:
    consent.document.save(secrets.token_hex(16) + document.extension, document.file, save=False)
    written.append(consent.document.name)
    consent.document_name = document.name
    consent.document_type = document.content_type
    consent.document_sha256 = document.sha256
