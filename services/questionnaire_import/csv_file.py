"""Reading a CSV export: its encoding, its delimiter, its records (quoted fields across lines), within the limits."""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator

from services.formatting import format_number
from services.questionnaire_import.table import (
    MAX_BLANK_LINES,
    MAX_SEPARATORS_PER_RECORD,
    ImportFileError,
    RawRow,
    UploadedTable,
    check_columns,
    check_size,
    too_many_blank_lines,
    trim_trailing_empty,
    unique_headers,
)


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding name): UTF-8 with or without BOM, UTF-16 with BOM, else Windows-1252, else Latin-1.

    An ordered decode rather than a statistical guess: valid UTF-8 is almost never anything else;
    Windows-1252 (Excel's "CSV" on a French Windows) decodes every byte but five, which only
    Latin-1 accepts. A guesser hesitates between single-byte encodings on short French files.
    """
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "UTF-8 (avec BOM)"
        except UnicodeDecodeError as exc:
            raise ImportFileError("Le fichier s'annonce en UTF-8 mais contient des octets invalides.") from exc
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError as exc:
            raise ImportFileError("Le fichier s'annonce en UTF-16 mais contient des octets invalides.") from exc
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "Latin-1 (ISO-8859-1)"


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")  # a line and its own end, as csv expects


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(line where the record starts, its fields); quoted fields may span several lines.

    The separators of a record are counted on its lines before the csv module splits them: a 20 MB line of
    separators would otherwise become a list of twenty million fields before anything could refuse it.
    """
    separators = 0

    def lines() -> Iterator[str]:
        nonlocal separators
        for match in _LINE.finditer(text):  # not io.StringIO: it would copy the text at four bytes a character
            line = match.group()
            separators += line.count(delimiter)
            if separators > MAX_SEPARATORS_PER_RECORD:
                raise ImportFileError(
                    f"Une ligne du fichier compte plus de {format_number(MAX_SEPARATORS_PER_RECORD)} séparateurs : "
                    "ce n'est pas un export de réponses."
                )
            yield line

    reader = csv.reader(lines(), delimiter=delimiter, quotechar='"', strict=False)
    previous_end = 0
    for fields in reader:
        separators = 0
        yield previous_end + 1, fields
        previous_end = reader.line_num


def sniff_delimiter(text: str) -> str:
    """The delimiter that cuts the first records into the most columns, the same number on every line."""
    sample = text[:65536]
    candidates = [";", ",", "\t", "|"]
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters="".join(candidates)).delimiter
    except csv.Error:
        sniffed = None
    best, best_score = sniffed or ";", (-1.0, 0, False)
    for delimiter in candidates:
        counts = []
        try:
            for _, fields in _records(sample, delimiter):
                if any(f.strip() for f in fields):
                    counts.append(len(fields))
                if len(counts) >= 50:
                    break
        except csv.Error:
            continue
        if len(counts) > 1:
            counts = counts[:-1]  # the sample may cut the last record
        if not counts or counts[0] < 2:
            continue
        consistency = sum(1 for n in counts if n == counts[0]) / len(counts)
        score = (round(consistency, 2), counts[0], delimiter == sniffed)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def read_csv(filename: str, data: bytes) -> UploadedTable:
    """A CSV export as headers and rows: the first non-blank record is the header."""
    text, encoding = decode_text(data)
    if "\x00" in text:
        raise ImportFileError("Ce fichier n'est pas un texte CSV (il contient des octets nuls).")
    delimiter = sniff_delimiter(text)
    header: list[str] | None = None
    rows: list[RawRow] = []
    blank = skipped = cells = 0
    try:
        for line, fields in _records(text, delimiter):
            if not any(f.strip() for f in fields):
                skipped += 1
                if skipped > MAX_BLANK_LINES:
                    raise too_many_blank_lines()
                if header is not None:
                    blank += 1
                continue
            if header is None:
                header = trim_trailing_empty(fields)
                check_columns(len(header))
                continue
            rows.append(RawRow(line, tuple(fields)))
            cells += len(fields)
            check_size(len(rows), cells)
    except csv.Error as exc:
        raise ImportFileError(f"Ce CSV est mal formé ({exc}).") from exc
    if header is None:
        raise ImportFileError("Le fichier ne contient aucune ligne d'en-tête.")
    return UploadedTable(filename, "CSV", unique_headers(header), tuple(rows), blank, encoding, delimiter)
