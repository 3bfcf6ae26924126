"""An edition's public results as open data: one zip of CSV files (comma and semicolon variants), JSON, a data
dictionary and the licence, built from the same `PublicResults` as the public page.

Anonymised by construction: the tables hold counts, orientations, and published contributions as published
(masked copy, personal-data detector); no device token, participant id or receipt code is ever read into
them, an author's name or organisation only when they chose to appear (display_mode), nothing of a pending or
rejected contribution but its count. CSV cells that a spreadsheet would run as a formula are neutralised
(services.exports.csv_bytes); the JSON keeps the values as they are (no spreadsheet reads it).
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from datetime import datetime

from services.exports import csv_bytes
from services.formatting import PARIS
from services.public_results import PublicOrientation, PublicResults

LICENCE = "Licence Ouverte / Etalab 2.0"
LICENCE_URL = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"


@dataclass(frozen=True)
class ColumnDoc:
    name: str
    meaning: str  # in French, for the data dictionary
    type: str  # « entier », « texte », « date (AAAA-MM-JJ) »


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[ColumnDoc, ...]
    rows: list[tuple[object, ...]]


def _c(name: str, meaning: str, kind: str = "texte") -> ColumnDoc:
    return ColumnDoc(name, meaning, kind)


INT = "entier"
PARTICIPATION = (
    _c("indicateur", "Ce qui est compté"),
    _c("valeur", "Le nombre", INT),
)
BY_THEME = (
    _c("numero_theme", "Numéro du thème dans l'ordre de la conférence", INT),
    _c("theme", "Intitulé du thème"),
    _c("contributions_recues", "Contributions reçues (publiées ou en attente de modération, refusées exclues)", INT),
    _c("contributions_publiees", "Contributions publiées après modération", INT),
)
BY_ORIGIN = (
    _c("origine", "Comment la contribution a été recueillie (atelier, en ligne, papier…)"),
    _c("contributions_recues", "Contributions reçues de cette origine (refusées exclues)", INT),
)
ORIENTATIONS = (
    _c("code_orientation", "Code de l'orientation (thème et numéro, par exemple T2-O3)"),
    _c("theme", "Intitulé du thème de l'orientation"),
    _c("titre", "Titre de l'orientation"),
    _c("statut", "Où en est l'orientation (proposée, retenue, amendée, abandonnée…)"),
    _c("avis_d_accord", "Participants d'accord", INT),
    _c("avis_d_accord_avec_reserves", "Participants d'accord avec réserves", INT),
    _c("avis_pas_d_accord", "Participants pas d'accord", INT),
    _c("sans_avis", "Participants sans avis", INT),
    _c("dont_bulletins_papier", "Parmi les avis exprimés, ceux saisis depuis un bulletin papier", INT),
    _c("verdict", "Lecture des avis (consensus, partagé…) ; vide si l'orientation n'a pas été soumise aux avis"),
    _c("contributions_sources", "Contributions rattachées à l'orientation (refusées exclues)", INT),
    _c("texte_strategie", "Paragraphe de la stratégie publiée (vide tant que la stratégie n'est pas publiée)"),
)
CONTRIBUTIONS = (
    _c("id_contribution", "Numéro de la contribution dans l'application (sans lien avec son auteur)", INT),
    _c("date", "Jour d'envoi", "date (AAAA-MM-JJ)"),
    _c("theme", "Intitulé du thème"),
    _c("origine", "Comment la contribution a été recueillie"),
    _c("code_orientation", "Orientation choisie par l'auteur (vide : aucune)"),
    _c("titre", "Titre donné par l'auteur, données personnelles masquées"),
    _c("texte", "Texte publié après modération, données personnelles masquées"),
    _c("auteur", "Nom ou organisation, seulement si l'auteur a choisi d'apparaître ; vide sinon"),
)
SOURCES = (
    _c("code_orientation", "Code de l'orientation"),
    _c("origine", "Origine des contributions rattachées"),
    _c("contributions", "Nombre de contributions de cette origine rattachées à l'orientation", INT),
)


def _orientation_row(o: PublicOrientation) -> tuple[object, ...]:
    f = o.stances
    counts: tuple[object, ...] = (
        (f.agree, f.reservations, f.disagree, f.skip, f.paper, f.label) if f else (None, None, None, None, None, "")
    )
    return (o.code, o.theme_label, o.title, o.status_label, *counts, sum(o.sources_by_origin.values()), o.body)


def tables(results: PublicResults) -> list[Table]:
    """The dataset's tables, in the order of the page (the strategy's sources once the strategy is public)."""
    participation = [
        ("Participants enregistrés (un par téléphone)", results.participants),
        ("Contributions reçues", results.contributions),
        ("Contributions publiées", results.published_count),
        ("Stands visités", results.stands_visited),
        ("Visites de stands", results.stand_visits),
        ("Réponses au questionnaire aux acteurs", results.questionnaire_responses),
    ]
    out = [
        Table("participation", "Chiffres de participation de l'édition", PARTICIPATION, list(participation)),
        Table(
            "contributions_par_theme",
            "Contributions par thème",
            BY_THEME,
            [(t.number, t.label, t.received, t.published) for t in results.by_theme],
        ),
        Table(
            "contributions_par_origine",
            "Contributions par origine",
            BY_ORIGIN,
            list(results.by_origin.items()),
        ),
        Table(
            "orientations",
            "Orientations proposées et avis des participants",
            ORIENTATIONS,
            [_orientation_row(o) for o in results.orientations],
        ),
        Table(
            "contributions_publiees",
            "Contributions publiées après modération (textes masqués)",
            CONTRIBUTIONS,
            [
                (c.contribution_id, c.date, c.theme_label, c.origin, c.orientation_code, c.title, c.text, c.author)
                for c in results.published_contributions
            ],
        ),
    ]
    if results.strategy_public:
        out.append(
            Table(
                "sources_des_orientations",
                "Contributions rattachées à chaque orientation de la stratégie, par origine",
                SOURCES,
                [(o.code, origin, n) for o in results.orientations for origin, n in o.sources_by_origin.items()],
            )
        )
    return out


def dictionary_rows(dataset: list[Table]) -> list[tuple[str, str, str, str]]:
    """table, colonne, signification, type: one row per column of every table."""
    return [(t.name, c.name, c.meaning, c.type) for t in dataset for c in t.columns]


def _csv(header: list[str], rows: list[tuple[object, ...]], *, semicolon: bool) -> bytes:
    data = csv_bytes(header, rows, delimiter=";" if semicolon else ",")
    # The comma variant is plain UTF-8 (no byte-order mark), as most tools expect; the semicolon one keeps
    # the mark that French Excel needs to read UTF-8.
    return data if semicolon else data.removeprefix("\ufeff".encode())


def readme(results: PublicResults, dataset: list[Table], now: datetime) -> str:
    lines = [
        f"Résultats publics — {results.edition_name}" + (f" ({results.region_name})" if results.region_name else ""),
        "",
        f"Licence : {LICENCE} ({LICENCE_URL}).",
        "Réutilisation libre, y compris commerciale, en mentionnant la source et la date de mise à jour.",
        f"Fichiers produits le {now.astimezone(PARIS):%d/%m/%Y à %H:%M} (heure de Paris).",
        "",
        "Données anonymisées : aucun identifiant de téléphone ou de participant, aucun code de reçu ; un nom ou",
        "une organisation seulement quand l'auteur a choisi d'apparaître ; aucun texte non publié par la",
        "modération (seuls les textes publiés, données personnelles masquées, figurent ici).",
        "",
        "Contenu :",
        "- csv/ : une table par fichier, UTF-8, séparateur virgule ;",
        "- csv-point-virgule/ : les mêmes tables, séparateur point-virgule (Excel en français) ;",
        "- resultats.json : les mêmes tables et le dictionnaire, en JSON ;",
        "- dictionnaire_des_donnees.csv : chaque colonne, sa signification et son type.",
        "Dans les CSV, une cellule qui commence par =, +, - ou @ est précédée d'une apostrophe (protection des",
        "tableurs) ; le JSON garde les valeurs telles quelles.",
        "",
        "Tables :",
        *[f"- {t.name} : {t.description} ({len(t.rows)} lignes)" for t in dataset],
    ]
    return "\n".join(lines) + "\n"


def _json(results: PublicResults, dataset: list[Table], now: datetime) -> bytes:
    document = {
        "edition": results.edition_name,
        "region": results.region_name,
        "licence": LICENCE,
        "licence_url": LICENCE_URL,
        "produit_le": now.isoformat(),
        "tables": {
            t.name: [dict(zip([c.name for c in t.columns], row, strict=True)) for row in t.rows] for t in dataset
        },
        "dictionnaire": [
            {"table": t, "colonne": c, "signification": m, "type": k} for t, c, m, k in dictionary_rows(dataset)
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def open_data_files(results: PublicResults, *, now: datetime) -> dict[str, bytes]:
    """Every file of the dataset, by its path in the zip."""
    dataset = tables(results)
    files: dict[str, bytes] = {"LISEZMOI.txt": readme(results, dataset, now).encode("utf-8")}
    for t in dataset:
        header = [c.name for c in t.columns]
        files[f"csv/{t.name}.csv"] = _csv(header, t.rows, semicolon=False)
        files[f"csv-point-virgule/{t.name}.csv"] = _csv(header, t.rows, semicolon=True)
    dictionary = [tuple(row) for row in dictionary_rows(dataset)]
    files["dictionnaire_des_donnees.csv"] = _csv(
        ["table", "colonne", "signification", "type"], list(dictionary), semicolon=True
    )
    files["resultats.json"] = _json(results, dataset, now)
    return files


def open_data_zip(results: PublicResults, *, now: datetime) -> bytes:
    """The dataset as one zip (deflated), for one download."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, data in open_data_files(results, now=now).items():
            archive.writestr(path, data)
    return buffer.getvalue()
