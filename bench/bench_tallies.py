"""Live tallies: each query through the app's service beside the same counts typed by hand, side by side,
and full reruns of the organisers' page (AppTest, every chart) at 100 000 and 1 000 000 contributions.

Rerun alone: `.venv/bin/python -m bench.run tallies` (15 to 25 minutes on 2 cores, mostly seeding; with
ESS_BENCH_TALLIES_KEEP=dir the SQLite stores are kept and reused, and migrated if the schema moved on;
with ESS_TEST_PG_URL pointing at a server of one's own, its seeded `ess_bench` database is reused too).
The same tallies with the store's contributions spread over three editions: bench/bench_editions.py.

- Stores: SQLite files of 100 000 and 1 000 000 synthetic contributions, and a throwaway PostgreSQL
  server (tests/pg.py) with 1 000 000, all in the default edition (the 2016 pack loaded at start-up); seeded
  with SQLAlchemy Core inserts in batches into a store built by the real migrations, under
  services.tally_rollup.paused_rollup as the questionnaire import writes (the rollup `contributiontally`
  counts the whole load at the end of the block; its triggers keep it from then on). SQLite gets no
  ANALYZE (the app never runs it); PostgreSQL gets VACUUM ANALYZE, as its autovacuum would after such a load.
- Queries: median of 7 runs, the three sides interleaved. « App » is what a page's read costs: a pooled
  session, the service's SQLAlchemy statements (over the rollup, narrowed to the edition's themes as the
  page asks), their result turned into the frame or objects the page gets. « GROUP BY direct » is the count
  one would type without the rollup, over the contribution rows (served by the covering indexes of migration
  0002), on an open sqlite3 / psycopg
  connection. « SQL de l'app rejoué » replays on that raw connection exactly the statements and
  parameters the app sent (captured from SQLAlchemy): like against like, only the Python path differs.
  Two filter sets: none, and theme 2 + source « conférence » + the conference day.
- Page: `AppTest` of app.py as an organiser on « En direct », as opened (the bars per theme and the first tab
  of detailed charts, over time: 2 charts; the other tabs are computed only when open), median of 5 reruns each:
  « à froid » with every cache cleared (what the first viewer pays), « nouvelle contribution » with one
  contribution added before each rerun (the live case: the board recomputed, reference data still cached),
  « sans changement » (cached boards).
"""

from __future__ import annotations

import functools
import itertools
import os
import sqlite3
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("ESS_COOKIE_KEY", "bench-cookie-key-" + "x" * 40)

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine

from bench.common import ms
from bench.seed_synthetic import DAY_HOURS, DAY_START, seed_contributions
from core.config import get_settings
from db.engine import build_engine, dispose_engines, session_scope
from services import tallies
from services.bootstrap import prepare_store
from services.contributions import ContributionDraft, submit_contribution
from services.formatting import format_number
from services.tallies import Dimension, TallyFilter, Window
from services.words import count_words

ROOT = Path(__file__).resolve().parent.parent
TITLE = "Décomptes en direct : requêtes de l'application contre SQL écrit à la main, rerun de la page « En direct »"
# ESS_BENCH_TALLIES_ROWS=2000 runs the whole thing on tiny stores (a check of the benchmark itself).
_QUICK = int(os.environ.get("ESS_BENCH_TALLIES_ROWS", "0"))
SQLITE_SIZES = (_QUICK,) if _QUICK else (100_000, 1_000_000)
# ESS_BENCH_TALLIES_KEEP=/some/dir keeps the seeded SQLite stores there and reuses them next time (a rerun
# on a quieter machine then costs minutes, not the quarter hour of seeding). The page measurements add
# a few contributions to them; negligible at these sizes.
KEEP_DIR = Path(os.environ["ESS_BENCH_TALLIES_KEEP"]) if os.environ.get("ESS_BENCH_TALLIES_KEEP") else None
PG_SIZE = _QUICK or 1_000_000
QUERY_RUNS = 7
PAGE_RUNS = 5
TARGET_RATIO = 2.0
TARGET_PAGE_S = {100_000: 0.3, 1_000_000: 1.5}

GROUP_BY_QUERIES = (
    "par thème",
    "par origine",
    "par département",
    "par type d'acteur",
    "au fil du temps",
    "orientations",
    "circuit",
)
LOOKUPS = ("dernier quart d'heure", "20 dernières publiées", "version des données")
ALL = TallyFilter()
NARROW = tallies.make_filter(theme_ids=(2,), sources=("conference",), window=Window.DAY, day=date(2016, 6, 28))
FILTERS = {"aucun filtre": ALL, "thème 2 · conférence · 28/06/2016": NARROW}


# ---------------------------------------------------------------------------------------------
# The same queries, typed by hand


def _where(dialect: str, f: TallyFilter, *, scan: bool = True, statuses: tuple[str, ...] | None = None) -> str:
    plus = "+" if dialect == "sqlite" and scan else ""
    parts = [f"{plus}status IN ({', '.join(repr(s) for s in (statuses or f.statuses))})"]
    if f.theme_ids:
        parts.append(f"theme_id IN ({', '.join(str(t) for t in f.theme_ids)})")
    if f.sources:
        parts.append(f"{plus}source IN ({', '.join(repr(s) for s in f.sources)})")
    if f.since is not None:
        parts.append(f"{plus}created_at >= {_time(dialect, f.since)}")
    if f.until is not None:
        parts.append(f"{plus}created_at < {_time(dialect, f.until)}")
    return " AND ".join(parts)


def _time(dialect: str, moment: datetime) -> str:
    utc = moment.astimezone(UTC)
    if dialect == "sqlite":
        return f"'{utc.replace(tzinfo=None).strftime('%Y-%m-%d %H:%M:%S.%f')}'"
    return f"'{utc.isoformat()}'::timestamptz"


def _bucket(dialect: str, f: TallyFilter) -> str:
    if dialect == "sqlite":  # quarter hours, summed into hours in Python when the span is long
        return (
            "(substr(contribution.created_at, 1, 14) || (CAST(substr(contribution.created_at, 15, 2) AS INTEGER) / 15))"
        )
    seconds = 900 if f.since is not None else 3600  # the day window: quarter hours; everything: hours
    return f"date_bin(INTERVAL '{seconds} seconds', created_at, TIMESTAMPTZ '2000-01-01 00:00:00+00')"


def raw_queries(dialect: str, f: TallyFilter) -> dict[str, list[str]]:
    w = _where(dialect, f)
    published = _where(dialect, f, scan=False, statuses=("published",))
    visits = ["1 = 1"]
    if f.theme_ids:
        visits.append(f"stand.theme_id IN ({', '.join(str(t) for t in f.theme_ids)})")
    if f.since is not None:
        visits.append(f"standvisit.created_at >= {_time(dialect, f.since)}")
    if f.until is not None:
        visits.append(f"standvisit.created_at < {_time(dialect, f.until)}")
    v = " AND ".join(visits)
    themes = "SELECT id FROM theme ORDER BY position, id"
    return {
        "par thème": [
            f"SELECT theme_id, source, status, count(*) FROM contribution WHERE {w} GROUP BY theme_id, source, status",
            themes,
        ],
        "par origine": [f"SELECT theme_id, source, count(*) FROM contribution WHERE {w} GROUP BY theme_id, source"],
        "par département": [
            f"SELECT theme_id, departement, count(*) FROM contribution WHERE {w} GROUP BY theme_id, departement"
        ],
        "par type d'acteur": [
            f"SELECT theme_id, actor_type, count(*) FROM contribution WHERE {w} GROUP BY theme_id, actor_type"
        ],
        "au fil du temps": [
            "SELECT (SELECT min(created_at) FROM contribution), (SELECT max(created_at) FROM contribution)",
            f"SELECT theme_id, {_bucket(dialect, f)} AS bucket, count(*) FROM contribution WHERE {w} "
            "GROUP BY theme_id, bucket",
        ],
        "orientations": [
            f"SELECT theme_id, orientation_id, stance, count(*) FROM contribution WHERE {w} "
            "AND orientation_id IS NOT NULL AND stance IS NOT NULL GROUP BY theme_id, orientation_id, stance",
            "SELECT * FROM orientation ORDER BY theme_id, position, code",
        ],
        "dernier quart d'heure": [
            f"SELECT count(*) FROM contribution WHERE {_where(dialect, f, scan=False)} "
            f"AND created_at >= {_time(dialect, datetime.now(UTC).replace(microsecond=0))}"
        ],
        "20 dernières publiées": [
            "SELECT id, created_at, theme_id, source, status, title, coalesce(masked_body, body), display_mode, "
            f"author_name, organisation, personal_data_erased_at FROM contribution WHERE {published} "
            "ORDER BY created_at DESC, id DESC LIMIT 20"
        ],
        "circuit": [
            "SELECT stand.code, stand.name, stand.theme_id, count(standvisit.id) FROM stand JOIN standvisit "
            f"ON standvisit.stand_id = stand.id WHERE {v} GROUP BY stand.id, stand.code, stand.name, stand.theme_id",
            themes,
            "SELECT count(DISTINCT standvisit.participant_id) FROM standvisit JOIN stand "
            f"ON stand.id = standvisit.stand_id WHERE {v}",
            "SELECT count(*) FROM participant WHERE treasure_found_at IS NOT NULL",
            "SELECT count(*) FROM stand WHERE active",
        ],
        "version des données": ["SELECT (SELECT max(id) FROM contribution), (SELECT max(id) FROM standvisit)"],
    }


def raw_words(dialect: str, f: TallyFilter) -> Callable[[Any], object]:
    """The words' text fetch typed by hand (5 indexed LIMIT queries), then the same counting in Python."""
    published = _where(dialect, f, scan=False, statuses=("published",))
    theme_ids = list(f.theme_ids) or [1, 2, 3, 4, 5]

    def run(cursor: Any) -> object:
        counted = []
        for theme_id in theme_ids:
            cursor.execute(
                f"SELECT title, coalesce(masked_body, body) FROM contribution WHERE theme_id = {theme_id} "
                f"AND {published} ORDER BY created_at DESC LIMIT {tallies.WORDS_TEXTS_PER_THEME}"
            )
            counted.append(count_words(f"{title}\n{body}" for title, body in cursor.fetchall()))
        return counted

    return run


# Each called as the pages call it: `session`, `filters` and the edition's id.
APP: dict[str, Callable[..., Any]] = {
    "par thème": tallies.theme_tallies,
    "par origine": lambda **kw: tallies.dimension_tallies(dimension=Dimension.SOURCE, **kw),
    "par département": lambda **kw: tallies.dimension_tallies(dimension=Dimension.DEPARTEMENT, **kw),
    "par type d'acteur": lambda **kw: tallies.dimension_tallies(dimension=Dimension.ACTOR_TYPE, **kw),
    "au fil du temps": tallies.time_series,
    "orientations": tallies.orientation_stances,
    "dernier quart d'heure": tallies.recent_count,
    "20 dernières publiées": tallies.latest_contributions,
    "circuit": tallies.circuit_summary,
    "version des données": lambda *, session, filters, edition_id: tallies.data_version(session=session),
    "mots (5 × 300 textes)": tallies.top_words,
}
# The edition every store here counts (the startup pack's, loaded first: the default one).
EDITION_ID = 1


def _run_sqls(cursor: Any, sqls: list[str]) -> None:
    for sql in sqls:
        cursor.execute(sql)
        cursor.fetchall()


def _captured(engine: Engine, call: Callable[[], None]) -> list[tuple[str, Any]]:
    """Every statement (and its parameters, as the driver gets them) that one app call sends, BEGIN aside."""
    sent: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    return sent


def measure_queries(engine: Engine, dialect: str, connect_raw: Callable[[], Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    raw = connect_raw()
    cursor = raw.cursor()
    try:
        for filter_name, f in FILTERS.items():
            hand = raw_queries(dialect, f)
            for name, fn in APP.items():

                def app_call(fn: Callable[..., Any] = fn, f: TallyFilter = f) -> None:
                    with session_scope(engine) as session:
                        fn(session=session, filters=f, edition_id=EDITION_ID)

                raw_call: Callable[[], object] = (
                    functools.partial(_run_sqls, cursor, hand[name])
                    if name in hand
                    else functools.partial(raw_words(dialect, f), cursor)
                )

                app_call()  # warm the caches of both sides
                raw_call()
                sent = _captured(engine, app_call)

                def same_sql_call(sent: list[tuple[str, Any]] = sent, words: bool = name.startswith("mots")) -> None:
                    for statement, parameters in sent:
                        cursor.execute(statement, parameters)
                        rows = cursor.fetchall()
                        if words and rows and len(rows[0]) == 2:  # the texts: counted as the app does
                            count_words(f"{title}\n{body}" for title, body in rows)

                same_sql_call()
                app_times, raw_times, same_times = [], [], []
                for _ in range(QUERY_RUNS):
                    start = time.perf_counter()
                    raw_call()
                    raw_times.append(time.perf_counter() - start)
                    start = time.perf_counter()
                    same_sql_call()
                    same_times.append(time.perf_counter() - start)
                    start = time.perf_counter()
                    app_call()
                    app_times.append(time.perf_counter() - start)
                rows.append(
                    {
                        "filter": filter_name,
                        "query": name,
                        "raw": statistics.median(raw_times),
                        "same": statistics.median(same_times),
                        "statements": len(sent),
                        "app": statistics.median(app_times),
                    }
                )
    finally:
        cursor.close()
        raw.close()
    return rows


# ---------------------------------------------------------------------------------------------
# The page


def measure_page(database_url: str) -> dict[str, tuple[float, float]]:
    """Median wall and CPU time of a rerun of « En direct », per case (à froid, nouvelle contribution, chaud)."""
    return {
        case: (statistics.median(wall), statistics.median(cpu))
        for case, (wall, cpu) in page_times(database_url).items()
    }


def page_times(database_url: str, runs: int = PAGE_RUNS) -> dict[str, tuple[list[float], list[float]]]:
    """Every rerun's wall and CPU time of « En direct » on this store, per case."""
    import streamlit as st

    from tests.app_pages.helpers import app_as

    os.environ["ESS_DATABASE_URL"] = database_url
    get_settings.cache_clear()
    dispose_engines()
    st.cache_data.clear()
    st.cache_resource.clear()
    at = app_as("organizer", timeout=120).run()
    at.switch_page("app_pages/dashboard.py").run()
    assert not at.exception, at.exception
    assert len(at.get("plotly_chart")) == 2  # the bars per theme, the first tab (over time)

    def timed(before: Callable[[], None]) -> tuple[list[float], list[float]]:
        """Wall time of each rerun, and CPU time of this process during it (all its threads: the script, and
        on SQLite the queries too), which a loaded machine stretches far less."""
        times, cpu = [], []
        for _ in range(runs):
            before()
            start, start_cpu = time.perf_counter(), time.process_time()
            at.run()
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
            assert not at.exception, at.exception
        return times, cpu

    added = itertools.count(1)

    def add_one() -> None:
        # Dated at the end of the seeded conference day, as if the day went on: a date of today would
        # stretch the chart over time from 2016 to now (thousands of empty days drawn).
        with session_scope(write=True) as session:
            submit_contribution(
                session=session,
                draft=ContributionDraft(
                    theme_id=3,
                    body="Une contribution de plus pendant la mesure, pour changer la version des données.",
                    idempotency_key=uuid.uuid4().hex,
                    created_at=DAY_START + timedelta(hours=DAY_HOURS, seconds=next(added)),
                ),
            )

    def clear_caches() -> None:
        st.cache_data.clear()

    result = {
        "froid": timed(clear_caches),
        "nouvelle": timed(add_one),
        "chaud": timed(lambda: None),
    }
    st.cache_data.clear()
    dispose_engines()
    return result


# ---------------------------------------------------------------------------------------------


def _seed(engine: Engine, n: int) -> float:
    """A store as `make run` makes it (migrations, startup pack), then `n` contributions of its default
    edition; the seeding time (the rollup's count of the load included)."""
    prepare_store(engine)
    start = time.perf_counter()
    seed_contributions(engine, n)
    return time.perf_counter() - start


WRITES = 400


def measure_writes(work_dir: Path) -> dict[str, float]:
    """What the triggers cost a participant's submission: one contribution per write transaction, as from a
    phone, into a SQLite store whose rollup triggers were dropped for the measure and one with them,
    interleaved."""
    engines = {}
    for revision in ("0003", "head"):  # « 0003 »: the last revision without the rollup's triggers
        engine = build_engine(f"sqlite:///{work_dir / f'writes-{revision}.db'}")
        prepare_store(engine)
        if revision == "0003":
            with engine.begin() as conn:
                names = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'").scalars().all()
                for name in names:
                    conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
        engines[revision] = engine
    times: dict[str, list[float]] = {revision: [] for revision in engines}
    for i in range(WRITES):
        for revision, engine in engines.items():
            start = time.perf_counter()
            with session_scope(engine, write=True) as session:
                submit_contribution(
                    session=session,
                    draft=ContributionDraft(
                        theme_id=1 + i % 5,
                        body="Une contribution envoyée d'un téléphone pendant la conférence.",
                        idempotency_key=uuid.uuid4().hex,
                        departement="44",
                        actor_type="association",
                        created_at=DAY_START + timedelta(seconds=30 * i),
                    ),
                )
            times[revision].append(time.perf_counter() - start)
    for engine in engines.values():
        engine.dispose()
    return {revision: statistics.median(values) for revision, values in times.items()}


def run(work_dir: Path) -> str:
    sections: list[str] = []
    query_rows: list[dict[str, Any]] = []
    pages: list[tuple[str, int, dict[str, tuple[float, float]], float]] = []
    seeding: list[str] = []

    if KEEP_DIR is not None:
        KEEP_DIR.mkdir(parents=True, exist_ok=True)
    for n in SQLITE_SIZES:
        path = (KEEP_DIR or work_dir) / f"tallies-{n}.db"
        engine = build_engine(f"sqlite:///{path}")
        ready = KEEP_DIR is not None and (KEEP_DIR / f"tallies-{n}.ok").exists()
        if ready:
            prepare_store(engine)  # brings a kept store to the current migrations
            seeding.append(f"SQLite {format_number(n)} : store gardé d'une mesure précédente")
        else:
            seeded = _seed(engine, n)
            seeding.append(f"SQLite {format_number(n)} : {seeded:.0f} s, cumuls comptés en fin de lot compris")
            print(f"  SQLite {n}: seeded in {seeded:.0f} s", flush=True)
            if KEEP_DIR is not None:
                (KEEP_DIR / f"tallies-{n}.ok").write_text("seeded\n")
        for row in measure_queries(engine, "sqlite", functools.partial(sqlite3.connect, path)):
            query_rows.append({"engine": "SQLite", "rows": n, "load": os.getloadavg()[0], **row})
        naive = sqlite3.connect(path)
        start = time.perf_counter()
        naive.execute(
            "SELECT theme_id, source, count(*) FROM contribution WHERE status IN ('pending', 'published') "
            "AND source IN ('conference') GROUP BY theme_id, source"
        ).fetchall()
        naive_s = time.perf_counter() - start
        naive.close()
        seeding.append(
            f"SQLite {format_number(n)}, la même requête « par origine » filtrée sur une origine mais sans le "
            f"`+` devant status et source : {ms(naive_s)} ms (SQLite, sans statistiques, prend alors l'index "
            "(source, created_at) et lit chaque ligne dans la table)"
        )
        engine.dispose()
        load = os.getloadavg()[0]
        pages.append(("SQLite", n, measure_page(f"sqlite:///{path}"), load))
        print(f"  SQLite {n}: page {pages[-1][2]}", flush=True)

    from tests.pg import running_server

    with running_server() as base:
        admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            # With ESS_TEST_PG_URL (a server of one's own), a store seeded by a previous run is reused.
            kept = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = 'ess_bench'")).first() is not None
            if kept:
                probe = create_engine(f"{base}/ess_bench")
                with probe.connect() as bench_conn:
                    kept = (bench_conn.execute(text("SELECT count(*) FROM contribution")).scalar() or 0) >= PG_SIZE
                probe.dispose()
                if not kept:
                    conn.execute(text("DROP DATABASE ess_bench WITH (FORCE)"))
            if not kept:
                conn.execute(text("CREATE DATABASE ess_bench"))
        admin.dispose()
        url = f"{base}/ess_bench"
        engine = build_engine(url)
        if kept:
            prepare_store(engine)
            seeding.append(f"PostgreSQL {format_number(PG_SIZE)} : base gardée d'une mesure précédente")
        else:
            seeded = _seed(engine, PG_SIZE)
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
            seeding.append(
                f"PostgreSQL {format_number(PG_SIZE)} : {seeded:.0f} s, cumuls comptés en fin de lot compris, "
                "puis VACUUM ANALYZE"
            )
            print(f"  PostgreSQL {PG_SIZE}: seeded in {seeded:.0f} s", flush=True)
        import psycopg

        dsn = url.replace("postgresql+psycopg://", "postgresql://")
        for row in measure_queries(engine, "postgresql", lambda: psycopg.connect(dsn)):
            query_rows.append({"engine": "PostgreSQL", "rows": PG_SIZE, "load": os.getloadavg()[0], **row})
        engine.dispose()
        load = os.getloadavg()[0]
        pages.append(("PostgreSQL", PG_SIZE, measure_page(url), load))
        print(f"  PostgreSQL {PG_SIZE}: page {pages[-1][2]}", flush=True)
        dispose_engines()

    writes = measure_writes(work_dir)
    writes_load = os.getloadavg()[0]

    # -----------------------------------------------------------------------------------------
    sections.append(
        "Cibles : requêtes de l'application à moins de 2× le même GROUP BY écrit à la main ; rerun complet de la "
        "page telle qu'elle s'ouvre (AppTest : barres par thème et premier onglet, au fil du temps ; les mots et le "
        "circuit des autres onglets sont mesurés dans le tableau des requêtes) sous 300 ms à 100 000 contributions "
        "et sous 1,5 s à 1 000 000."
    )
    lines = [
        "| Base | Lignes | Page « En direct » à froid | après une nouvelle contribution | sans changement | "
        "Cible | Charge (1 min) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for engine_name, n, page, load in pages:
        target = TARGET_PAGE_S.get(n)
        cells = " | ".join(f"{ms(page[k][0])} ms (CPU {ms(page[k][1])} ms)" for k in ("froid", "nouvelle", "chaud"))
        lines.append(
            f"| {engine_name} | {format_number(n)} | {cells} | {'< ' + ms(target) + ' ms' if target else '—'} | "
            f"{format_number(load, 2)} |"
        )
    sections.append("\n".join(lines))
    sections.append(
        "Durées : médiane du temps écoulé d'un rerun, et entre parenthèses médiane du temps CPU du processus "
        "pendant ce rerun (script de la page, et sous SQLite les requêtes aussi ; sous PostgreSQL le serveur "
        "travaille dans ses propres processus) : sur une machine que d'autres chargent, le premier s'allonge "
        "avec la file d'attente des 2 cœurs, le second beaucoup moins."
    )
    lines = [
        "| Base | Lignes | Filtre | Requête | GROUP BY direct sur contribution, à la main | App | Ratio app / direct "
        "| SQL de l'app rejoué à la main (requêtes) | Ratio app / même SQL |",
        "|---|---:|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in query_rows:
        lines.append(
            f"| {r['engine']} | {format_number(r['rows'])} | {r['filter']} | {r['query']} | {ms(r['raw'])} ms | "
            f"{ms(r['app'])} ms | {format_number(r['app'] / r['raw'], 2)}× | {ms(r['same'])} ms "
            f"({r['statements']}) | {format_number(r['app'] / r['same'], 2)}× |"
        )
    sections.append("\n".join(lines))

    def summary(rows: list[dict[str, Any]], base: str) -> str:
        worst = max(rows, key=lambda r: r["app"] / r[base])
        over = [r for r in rows if r["app"] / r[base] > TARGET_RATIO]
        text = (
            f"plus grand ratio {format_number(worst['app'] / worst[base], 2)}× ({worst['engine']}, "
            f"{format_number(worst['rows'])} lignes, {worst['query']}, {worst['filter']})"
        )
        if over:
            return (
                text
                + " ; au-delà de 2× : "
                + "; ".join(f"{r['engine']} {format_number(r['rows'])} {r['query']} ({r['filter']})" for r in over)
            )
        return text + " ; tous sous 2×"

    tallies_only = [r for r in query_rows if r["query"] in GROUP_BY_QUERIES]
    lookups = [r for r in query_rows if r["query"] in LOOKUPS]
    sections.append(
        f"Décomptes ({', '.join(GROUP_BY_QUERIES)}), application contre le GROUP BY direct sur les contributions : "
        f"{summary(tallies_only, 'raw')}. Application contre exactement le même SQL rejoué à la main : "
        f"{summary(tallies_only, 'same')}. Lectures ponctuelles ({', '.join(LOOKUPS)}) : la requête prend moins "
        f"d'une milliseconde, l'application au plus {ms(max(r['app'] for r in lookups))} ms ; leur ratio mesure le "
        "coût fixe d'une lecture par l'application (session du pool, BEGIN, construction de la requête "
        "SQLAlchemy), pas la base."
    )
    sections.append(
        f"Coût d'écriture des cumuls (SQLite, {WRITES} contributions, une transaction chacune comme depuis un "
        f"téléphone, médiane) : {ms(writes['0003'])} ms sans les déclencheurs des cumuls (supprimés pour la "
        f"mesure), {ms(writes['head'])} ms avec eux ; charge (1 min) : {format_number(writes_load, 2)}. "
        "L'essentiel d'une écriture reste la synchronisation sur disque (`synchronous=FULL`)."
    )
    sections.append(
        "Pour mémoire, avant la table de cumuls (décomptes en GROUP BY sur les lignes de contribution, mesure du "
        "22/11/2026 09:36 UTC, charge 3 à 16) : page « En direct » à froid / après une nouvelle contribution "
        "648 / 650 ms à 100 000 lignes SQLite, 1 948 / 2 291 ms à 1 000 000, 2 177 / 1 978 ms sur PostgreSQL à "
        "1 000 000."
    )
    sections.append(
        "Les colonnes : « GROUP BY direct » est la requête que l'on écrirait sans cumuls, sur les lignes de "
        "contribution (avec les index couvrants de la migration 0002) ; « App » lit les cumuls "
        "`contributiontally` tenus par les déclencheurs de la migration 0004 ; « SQL de l'app rejoué » envoie, sur "
        "une connexion sqlite3 / psycopg ouverte, exactement les requêtes et paramètres que l'application a "
        "envoyés (capturés par SQLAlchemy), ce qui compare à chose égale : la différence restante est le chemin "
        "Python (session du pool, SQLAlchemy, résultat mis en DataFrame ou en objets) ; pour les mots, les textes "
        "rapportés sont comptés de la même façon des deux côtés. Sur une requête de moins d'une milliseconde, ce "
        "ratio mesure ce coût fixe (de l'ordre d'une milliseconde par lecture), pas la base ; il se lit avec la "
        "durée absolue, et c'est la page entière qui compte pour l'organisateur. La page lit les "
        "décomptes d'un tableau dans une seule session ; le circuit et les mots ont chacun leur cache (clés : la "
        "plus haute visite, les nombres de textes publiés). En direct, chaque processus recalcule au plus une fois "
        "par nouvelle donnée, quel que soit le nombre d'organisateurs connectés. Durées d'alimentation : "
        + " ; ".join(seeding)
        + "."
    )
    return "\n\n".join(sections)
