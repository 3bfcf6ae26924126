"""One typed settings object for the whole app (environment first, then Streamlit secrets)."""

from __future__ import annotations

import os
import secrets
import tomllib
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
SECRETS_FILE = ROOT / ".streamlit" / "secrets.toml"
DEFAULT_SQLITE_PATH = ROOT / "data" / "ess.db"

# Values people copy from examples; refusing them keeps a demo key out of production.
PLACEHOLDER_KEYS = {"changeme", "change-me", "secret", "random_signature_key", "xxx", "cookie_key"}
MIN_COOKIE_KEY_LENGTH = 32


class Settings(BaseSettings):
    """Settings read from ESS_* environment variables, falling back to .streamlit/secrets.toml."""

    model_config = SettingsConfigDict(env_prefix="ESS_", extra="ignore")

    database_url: str = Field(default=f"sqlite:///{DEFAULT_SQLITE_PATH}")
    cookie_key: str = Field(default="")
    cookie_name: str = "ess_staff_auth"
    cookie_expiry_days: float = 1.0
    base_url: str = "http://localhost:8501"
    # Login throttling: a handful of tries per window, per account and per browser session.
    login_max_attempts: int = 5
    login_window_seconds: int = 60
    # Backstop over the whole process (services.auth.PasswordCheckGate): password checks (bcrypt, about
    # 0.25 s of one core each) start at most this many per second on average, in bursts of `burst`, one
    # at a time; a login whose turn is further than `max_wait` away is refused (« service saturé »).
    login_checks_per_second: float = Field(default=2.0, gt=0)
    login_check_burst: int = Field(default=4, ge=1)
    login_check_concurrency: int = Field(default=1, ge=1)
    login_check_max_wait_seconds: float = Field(default=2.0, ge=0)
    # A browser that logged in once holds this signed cookie: its own login window (services.auth).
    staff_device_cookie_name: str = "ess_staff_device"
    staff_device_cookie_days: int = 180
    # Receipt-code based rights and retention (months) of personal fields.
    personal_data_retention_months: int = 24
    sqlite_busy_timeout_ms: int = 15000
    # Participants' phones: the cookie holding the pseudonymous device token ("Mes contributions").
    device_cookie_name: str = "ess_device"
    device_cookie_days: int = 90
    # Per-device rate limit on contributions (not per IP: the whole room shares the venue's address).
    contribution_rate_max: int = 10
    contribution_rate_window_seconds: int = 600
    # Backstops per network address on anonymous use, sized for 800 people behind the venue's one address
    # (services.throttle explains each figure): new passports (new device tokens) and anonymous writes
    # (contributions, supports, stand visits), each per 10 seconds and per hour; wrong passport-restore codes
    # per address and overall, per 10 minutes. Behind a reverse proxy on another machine, let uvicorn trust
    # its X-Forwarded-For with FORWARDED_ALLOW_IPS, or every phone counts as the proxy's address.
    address_new_passports_per_10s: int = Field(default=40, ge=1)
    address_new_passports_per_hour: int = Field(default=1_200, ge=1)
    address_writes_per_10s: int = Field(default=200, ge=1)
    address_writes_per_hour: int = Field(default=15_000, ge=1)
    # Stances on the orientations (one tap each), counted apart from the writes above (services.throttle).
    address_stances_per_10s: int = Field(default=4_000, ge=1)
    address_stances_per_hour: int = Field(default=32_000, ge=1)
    # Contributions' sentence vectors computed by a background thread soon after they are written
    # (services.semantics.backfill), so grouping and suggestions find them stored. Off in the test suite.
    embed_in_background: bool = True
    # Script runs of app.py admitted at once in a process (ui.admission): the others wait their turn instead of
    # competing for the GIL; one that waited this long goes ahead anyway.
    page_runs_at_once: int = Field(default=4, ge=1)
    page_run_max_wait_seconds: float = Field(default=10.0, ge=0)
    restore_failures_per_address: int = Field(default=30, ge=1)
    restore_failures_overall: int = Field(default=300, ge=1)

    @field_validator("cookie_key")
    @classmethod
    def _refuse_placeholder(cls, value: str) -> str:
        if value and (value.strip().lower() in PLACEHOLDER_KEYS or len(value) < MIN_COOKIE_KEY_LENGTH):
            raise ValueError(
                f"ESS_COOKIE_KEY doit compter au moins {MIN_COOKIE_KEY_LENGTH} caractères aléatoires "
                "(valeur d'exemple refusée)."
            )
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def require_cookie_key(self) -> str:
        """Return the cookie key, refusing to run the staff login without one."""
        if not self.cookie_key:
            raise RuntimeError("ESS_COOKIE_KEY manquant : lancez `make run` (qui le génère) ou définissez la variable.")
        return self.cookie_key


def _secrets_file_values(path: Path = SECRETS_FILE) -> dict[str, str]:
    if not path.exists():
        return {}
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {k[4:].lower(): str(v) for k, v in data.items() if k.upper().startswith("ESS_")}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Environment wins over the secrets file; the result is read once per process."""
    from_file = {k: v for k, v in _secrets_file_values().items() if f"ESS_{k.upper()}" not in os.environ}
    return Settings(**from_file)  # type: ignore[arg-type]


def generate_cookie_key() -> str:
    """A fresh random key long enough for HS256."""
    return secrets.token_urlsafe(48)


def ensure_secrets_file(path: Path = SECRETS_FILE) -> bool:
    """Write a generated ESS_COOKIE_KEY into the secrets file if none is set; True if written."""
    if os.environ.get("ESS_COOKIE_KEY") or "cookie_key" in _secrets_file_values(path):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    existing = path.read_text(encoding="utf-8") if path.exists() else ""
    with path.open("w", encoding="utf-8") as fh:
        fh.write(existing)
        if existing and not existing.endswith("\n"):
            fh.write("\n")
        fh.write(f'ESS_COOKIE_KEY = "{generate_cookie_key()}"\n')
    path.chmod(0o600)
    return True
