"""Stored files are read from a local path whatever the storage: its own, or a temporary copy."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, InMemoryStorage, Storage
from django.db.models.fields.files import FieldFile, FileField

from valuation.pipeline.files import local_path


class RemoteStorage(Storage):
    """Like S3: files kept elsewhere (here in memory), no local path (Django's ``Storage.path``
    raises NotImplementedError)."""

    def __init__(self) -> None:
        self._files = InMemoryStorage()

    def _open(self, name: str, mode: str = "rb"):
        return self._files._open(name, mode)

    def _save(self, name: str, content):
        return self._files._save(name, content)

    def exists(self, name: str) -> bool:
        return self._files.exists(name)


def stored(storage, name: str, content: bytes) -> FieldFile:
    field = FileField(storage=storage)
    field.storage = storage
    saved = storage.save(name, ContentFile(content))
    return FieldFile(None, field, saved)


def test_a_storage_without_local_files_gives_a_temporary_copy_removed_on_exit():
    file = stored(RemoteStorage(), "stock-files/etat.csv", b"Code article;Qt\xc3\xa9\nA001;4\n")

    with local_path(file, suffix=".csv") as path:
        assert path.suffix == ".csv"
        assert path.read_bytes() == b"Code article;Qt\xc3\xa9\nA001;4\n"

    assert not path.exists()


def test_a_local_storage_gives_the_file_itself(tmp_path):
    file = stored(FileSystemStorage(location=tmp_path), "etat.csv", b"A001;4\n")

    with local_path(file, suffix=".csv") as path:
        assert path == tmp_path / "etat.csv"

    assert path.exists()  # never removed: it is the stored file
