"""Real faults for the reliability tests: a small disk that fills up or turns read-only (no mocks).

A tmpfs of a few MB mounted by the test holds the SQLite store; filling it with a plain file makes
SQLite's next write fail with "database or disk is full", exactly as on a full server disk. Mounting
needs root (the case here and on CI); without it the tests are skipped with the reason.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

FILLER = "remplissage.bin"


@contextlib.contextmanager
def small_disk(size_mb: int = 8) -> Iterator[Path]:
    """A fresh tmpfs of `size_mb` MB, unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("monter un petit disque (tmpfs) pour le remplir demande les droits root")
    root = Path(tempfile.mkdtemp(prefix="ess-disk-"))
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_mb}m,mode=0755", "tmpfs", str(root)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        root.rmdir()
        pytest.skip(f"impossible de monter un tmpfs ici : {mounted.stderr.strip()}")
    try:
        yield root
    finally:
        # Lazy: a server process that still holds the store open must not keep the test from ending.
        subprocess.run(["umount", "-l", str(root)], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def fill_disk(directory: Path) -> Path:
    """Write a file until the disk says ENOSPC, down to the last byte; returns the file (delete it to free)."""
    filler = directory / FILLER
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        for size in (1 << 20, 1 << 16, 1 << 12, 1):
            block = b"\0" * size
            while True:
                try:
                    os.write(fd, block)
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
                    break
    finally:
        os.close(fd)
    return filler


def free_disk(directory: Path) -> None:
    (directory / FILLER).unlink(missing_ok=True)


def remount(directory: Path, *, read_only: bool) -> None:
    """Turn the small disk read-only or writable again (the kernel refuses while a file is open for writing)."""
    subprocess.run(
        ["mount", "-o", f"remount,{'ro' if read_only else 'rw'}", str(directory)],
        check=True,
        capture_output=True,
        text=True,
    )
