"""Settings: config.toml (found by --config, $DUBAN_CONFIG, ./config.toml) plus environment overrides."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any, TypedDict
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class ConfigError(ValueError):
    """A configuration problem, described in Chinese for the person running Duban."""


DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_API_BASE_FILE_URL = "https://api.telegram.org/file/bot"
TOKEN_ENV = "DUBAN_TELEGRAM_TOKEN"
WEBHOOK_URL_ENV = "DUBAN_WEBHOOK_URL"
WEBHOOK_SECRET_ENV = "DUBAN_WEBHOOK_SECRET"
# Kind words accepted in [routing], in Chinese as in the unit directory, or in English.
ROUTE_KINDS = {
    "部门": "department",
    "镇": "town",
    "街道": "street",
    "其他": "other",
    "department": "department",
    "town": "town",
    "street": "street",
    "other": "other",
}
ALL_KINDS = frozenset({"department", "town", "street", "other"})
LOG_LEVELS = ("TRACE", "DEBUG", "INFO", "SUCCESS", "WARNING", "ERROR", "CRITICAL")
# The forms loguru reads for rotation and retention (loguru's docs of logger.add), checked here so that a
# typo is a configuration error with the key's name rather than an English error at start-up.
_DURATION = (
    r"(?:\d+(?:\.\d+)?\s*(?:y|years?|months?|w|weeks?|d|days?|h|hours?|min(?:ute)?s?|s|sec(?:ond)?s?)[\s,]*)+"
)
_SIZE = r"\d+(?:\.\d+)?\s*[kmgtpezy]?i?b"
_FREQUENCY = r"hourly|daily|weekly|monthly|yearly"
_DAY = r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|w[0-6]"
_TIME = r"\d{1,2}(?::\d{2}){0,2}"
ROTATION_FORMS = re.compile(
    rf"{_SIZE}|{_DURATION}|{_FREQUENCY}|(?:{_DAY})\s+at\s+{_TIME}|{_DAY}|{_TIME}", re.IGNORECASE
)
RETENTION_FORMS = re.compile(_DURATION, re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class TelegramSettings:
    """How the bot talks to the Bot API."""

    api_base_url: str = DEFAULT_API_BASE_URL
    api_base_file_url: str = DEFAULT_API_BASE_FILE_URL
    overall_max_rate: float = 29.0
    group_max_rate: float = 20.0
    chat_interval_seconds: float = 1.0
    max_retries: int = 3
    send_attempts: int = 4
    backoff_seconds: float = 2.0
    connect_timeout: float = 5.0
    read_timeout: float = 5.0
    # "polling": the leader instance long-polls getUpdates; "webhook": Telegram POSTs to every instance.
    mode: str = "polling"
    webhook_url: str = ""
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = 8443
    webhook_path: str = "telegram"
    webhook_secret: str = ""
    leader_lease_seconds: float = 30.0
    leader_renew_seconds: float = 10.0


@dataclass(frozen=True, slots=True)
class DigestSettings:
    """When and what the daily digest sends."""

    time: time = time(9, 0)
    window_days: int = 7
    workdays_only: bool = True
    misfire_grace_seconds: int = 3600
    message_limit: int = 4000
    retry_minutes: int = 15
    claim_timeout_seconds: float = 120.0
    # Chats sent to at once. 1 keeps at most one message in flight, so a crash (kill -9, power loss) can
    # repeat at most one message; more sends faster and may repeat up to this many.
    parallel_sends: int = 1


@dataclass(frozen=True, slots=True)
class AccessSettings:
    """Who may subscribe: everyone (open) or after an admin approves (approval)."""

    mode: str = "open"
    admins: frozenset[int] = frozenset()

    @property
    def needs_approval(self) -> bool:
        """Whether new subscriptions wait for an admin."""
        return self.mode == "approval"


@dataclass(frozen=True, slots=True)
class LogSettings:
    """[log]: level, an optional log file with rotation and retention, JSON lines."""

    level: str = "INFO"
    file: Path | None = None  # None: stderr only
    rotation: str = "00:00"  # a new file every midnight ([time] timezone)
    retention: str | int = "180 days"  # a duration, or how many rotated files to keep
    json: bool = False


@dataclass(frozen=True, slots=True)
class ImportSettings:
    """Plan files sent to the bot: how large, and how long a preview waits."""

    max_mb: float = 20.0
    preview_hours: float = 24.0
    # Reading one office file or web page (in a child process): at most this long and this much memory.
    read_timeout_seconds: float = 30.0
    read_memory_mb: int = 1024

    @property
    def max_bytes(self) -> int:
        """max_mb in bytes."""
        return int(self.max_mb * 1024 * 1024)


@dataclass(frozen=True, slots=True)
class OversightSettings:
    """三色督办: colour thresholds, the daily escalation run, quarterly check-ins, the weekly summary, the chart."""

    yellow_days: int = 3
    fresh_days: int = 7
    time: time = time(9, 30)
    checkin_months: tuple[int, ...] = (3, 6, 9, 12)
    checkin_days: int = 7
    weekly_summary: bool = True
    font: Path | None = None


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything Duban reads from config.toml and the environment."""

    config_path: Path | None
    data_dir: Path
    database_url: str
    timezone: str
    units_directory: Path | None
    calendar_override: Path | None
    log: LogSettings = field(default_factory=LogSettings)
    telegram: TelegramSettings = field(default_factory=TelegramSettings)
    digest: DigestSettings = field(default_factory=DigestSettings)
    access: AccessSettings = field(default_factory=AccessSettings)
    # Group name → unit kinds (and unit names) it reaches; overrides the unit directory's [groups] rules.
    routing: dict[str, frozenset[str]] = field(default_factory=dict)
    oversight: OversightSettings = field(default_factory=OversightSettings)
    imports: ImportSettings = field(default_factory=ImportSettings)

    @property
    def tz(self) -> ZoneInfo:
        """The configured time zone."""
        return ZoneInfo(self.timezone)

    @property
    def log_level(self) -> str:
        """[log] level."""
        return self.log.level


def find_config(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """The config file to use, or None for built-in defaults."""
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"找不到配置文件：{path}")
        return path
    env = os.environ.get("DUBAN_CONFIG")
    if env:
        path = Path(env)
        if not path.is_file():
            raise ConfigError(f"环境变量 DUBAN_CONFIG 指向的配置文件不存在：{path}")
        return path
    local = Path("config.toml")
    return local if local.is_file() else None


def _section(raw: dict[str, Any], name: str) -> dict[str, Any]:
    value = raw.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"配置文件中 [{name}] 应当是一个表（section）")
    return value


def _optional_path(base: Path, value: Any, key: str) -> Path | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ConfigError(f"配置项 {key} 应当是文件路径字符串")
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path


def _number(table: dict[str, Any], key: str, default: float, where: str, *, minimum: float = 0) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise ConfigError(f"配置项 {where}.{key} 应当是不小于 {minimum:g} 的数字，收到：{value!r}")
    return value


def _telegram(raw: dict[str, Any]) -> TelegramSettings:
    t = _section(raw, "telegram")
    base = str(t.get("api_base_url") or DEFAULT_API_BASE_URL)
    file_base = str(t.get("api_base_file_url") or "")
    if not file_base:
        # A local Bot API server serves files under /file/bot beside /bot.
        file_base = base[: -len("/bot")] + "/file/bot" if base.endswith("/bot") else DEFAULT_API_BASE_FILE_URL
    return TelegramSettings(
        api_base_url=base,
        api_base_file_url=file_base,
        overall_max_rate=_number(t, "overall_max_rate", 29.0, "telegram"),
        group_max_rate=_number(t, "group_max_rate", 20.0, "telegram"),
        chat_interval_seconds=_number(t, "chat_interval_seconds", 1.0, "telegram"),
        max_retries=int(_number(t, "max_retries", 3, "telegram")),
        send_attempts=int(_number(t, "send_attempts", 4, "telegram", minimum=1)),
        backoff_seconds=_number(t, "backoff_seconds", 2.0, "telegram"),
        connect_timeout=_number(t, "connect_timeout", 5.0, "telegram", minimum=0.1),
        read_timeout=_number(t, "read_timeout", 5.0, "telegram", minimum=0.1),
        **_webhook(t),
        **_leader(t),
    )


class _Webhook(TypedDict):
    mode: str
    webhook_url: str
    webhook_listen: str
    webhook_port: int
    webhook_path: str
    webhook_secret: str


class _Leader(TypedDict):
    leader_lease_seconds: float
    leader_renew_seconds: float


def _webhook(t: dict[str, Any]) -> _Webhook:
    mode = t.get("mode", "polling")
    if mode not in ("polling", "webhook"):
        raise ConfigError(f'配置项 telegram.mode 只能是 "polling" 或 "webhook"，收到：{mode!r}')
    url = os.environ.get(WEBHOOK_URL_ENV) or str(t.get("webhook_url") or "")
    secret = os.environ.get(WEBHOOK_SECRET_ENV) or str(t.get("webhook_secret") or "")
    if mode == "webhook":
        if not url.startswith(("https://", "http://")):
            raise ConfigError(
                f"webhook 模式需要 telegram.webhook_url（或环境变量 {WEBHOOK_URL_ENV}），"
                "即 Telegram 能访问到的 https 地址"
            )
        if not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", secret):
            raise ConfigError(
                f"webhook 模式需要密钥 telegram.webhook_secret（或环境变量 {WEBHOOK_SECRET_ENV}）："
                "16–256 个字母、数字、_ 或 -"
            )
    return {
        "mode": mode,
        "webhook_url": url,
        "webhook_listen": str(t.get("webhook_listen") or "0.0.0.0"),
        "webhook_port": int(_number(t, "webhook_port", 8443, "telegram", minimum=1)),
        "webhook_path": str(t.get("webhook_path", "telegram")).strip("/"),
        "webhook_secret": secret,
    }


def _leader(t: dict[str, Any]) -> _Leader:
    lease = _number(t, "leader_lease_seconds", 30.0, "telegram", minimum=1)
    renew = _number(t, "leader_renew_seconds", 10.0, "telegram", minimum=0.1)
    if renew * 2 > lease:
        raise ConfigError("配置项 telegram.leader_renew_seconds 应当不超过 leader_lease_seconds 的一半")
    return {"leader_lease_seconds": lease, "leader_renew_seconds": renew}


def _digest(raw: dict[str, Any]) -> DigestSettings:
    d = _section(raw, "digest")
    text = d.get("time", "09:00")
    try:
        at = time.fromisoformat(str(text))
    except ValueError:
        raise ConfigError(f"配置项 digest.time 应当是 HH:MM 格式的时间，收到：{text!r}") from None
    workdays_only = d.get("workdays_only", True)
    if not isinstance(workdays_only, bool):
        raise ConfigError("配置项 digest.workdays_only 应当是 true 或 false")
    return DigestSettings(
        time=at.replace(tzinfo=None),
        window_days=int(_number(d, "window_days", 7, "digest", minimum=1)),
        workdays_only=workdays_only,
        misfire_grace_seconds=int(_number(d, "misfire_grace_seconds", 3600, "digest", minimum=1)),
        # Telegram refuses texts over 4096 characters; the margin leaves room for edits that add ✅.
        message_limit=int(_number(d, "message_limit", 4000, "digest", minimum=500)),
        retry_minutes=int(_number(d, "retry_minutes", 15, "digest")),
        claim_timeout_seconds=_number(d, "claim_timeout_seconds", 120.0, "digest", minimum=0.1),
        parallel_sends=int(_number(d, "parallel_sends", 1, "digest", minimum=1)),
    )


def _access(raw: dict[str, Any]) -> AccessSettings:
    a = _section(raw, "access")
    mode = a.get("mode", "open")
    if mode not in ("open", "approval"):
        raise ConfigError(f'配置项 access.mode 只能是 "open" 或 "approval"，收到：{mode!r}')
    admins = a.get("admins", [])
    if not isinstance(admins, list) or not all(
        isinstance(x, int) and not isinstance(x, bool) for x in admins
    ):
        raise ConfigError("配置项 access.admins 应当是 Telegram 用户 ID（整数）的列表，例如 [123456789]")
    return AccessSettings(mode=mode, admins=frozenset(admins))


def _routing(raw: dict[str, Any]) -> dict[str, frozenset[str]]:
    routes: dict[str, frozenset[str]] = {}
    for group, reach in _section(raw, "routing").items():
        if isinstance(reach, str):
            reach = [reach]
        if not isinstance(reach, list) or not all(isinstance(r, str) for r in reach):
            raise ConfigError(f'配置项 routing.{group} 应当是单位类型或单位名的列表，例如 ["部门", "镇"]')
        kinds: set[str] = set()
        for item in reach:
            entry: str = item.strip()
            if entry in ("全部", "all", "*"):
                kinds.update(ALL_KINDS)
            else:
                # Anything that is not a kind word names a unit the group also reaches.
                kinds.add(ROUTE_KINDS.get(entry, entry))
        routes[group.strip()] = frozenset(kinds)
    return routes


def _log(raw: dict[str, Any], base: Path) -> LogSettings:
    section = _section(raw, "log")
    # Before [log] existed the level lived in [logging]; a file that still says so keeps working.
    level = section.get("level", _section(raw, "logging").get("level", "INFO"))
    if not isinstance(level, str) or level.upper() not in LOG_LEVELS:
        raise ConfigError(f"配置项 log.level 应当是 {'、'.join(LOG_LEVELS)} 之一，收到：{level!r}")
    rotation = section.get("rotation", "00:00")
    if not isinstance(rotation, str) or not ROTATION_FORMS.fullmatch(rotation.strip()):
        raise ConfigError(
            '配置项 log.rotation 应当是文件大小（如 "50 MB"）、间隔（如 "1 week"、"daily"）'
            f'或每天的时刻（如 "00:00"、"monday at 00:00"），收到：{rotation!r}'
        )
    retention = section.get("retention", "180 days")
    valid_count = isinstance(retention, int) and not isinstance(retention, bool) and retention >= 1
    valid_duration = isinstance(retention, str) and RETENTION_FORMS.fullmatch(retention.strip())
    if not (valid_count or valid_duration):
        raise ConfigError(
            f'配置项 log.retention 应当是保留时长（如 "180 days"）或保留的文件个数（正整数），收到：{retention!r}'
        )
    as_json = section.get("json", False)
    if not isinstance(as_json, bool):
        raise ConfigError("配置项 log.json 应当是 true 或 false")
    return LogSettings(
        level=level.upper(),
        file=_optional_path(base, section.get("file"), "log.file"),
        rotation=rotation.strip(),
        retention=retention.strip() if isinstance(retention, str) else retention,
        json=as_json,
    )


def _imports(raw: dict[str, Any]) -> ImportSettings:
    i = _section(raw, "import")
    return ImportSettings(
        max_mb=_number(i, "max_mb", 20.0, "import", minimum=0.001),
        preview_hours=_number(i, "preview_hours", 24.0, "import", minimum=0.01),
        read_timeout_seconds=_number(i, "read_timeout_seconds", 30.0, "import", minimum=1),
        read_memory_mb=int(_number(i, "read_memory_mb", 1024, "import", minimum=256)),
    )


def _oversight(raw: dict[str, Any], base: Path) -> OversightSettings:
    o = _section(raw, "oversight")
    text = o.get("time", "09:30")
    try:
        at = time.fromisoformat(str(text))
    except ValueError:
        raise ConfigError(f"配置项 oversight.time 应当是 HH:MM 格式的时间，收到：{text!r}") from None
    months = o.get("checkin_months", [3, 6, 9, 12])
    if not isinstance(months, list) or not all(isinstance(m, int) and 1 <= m <= 12 for m in months):
        raise ConfigError("配置项 oversight.checkin_months 应当是 1 到 12 的月份列表，例如 [3, 6, 9, 12]")
    weekly = o.get("weekly_summary", True)
    if not isinstance(weekly, bool):
        raise ConfigError("配置项 oversight.weekly_summary 应当是 true 或 false")
    return OversightSettings(
        yellow_days=int(_number(o, "yellow_days", 3, "oversight")),
        fresh_days=int(_number(o, "fresh_days", 7, "oversight")),
        time=at.replace(tzinfo=None),
        checkin_months=tuple(sorted(set(months))),
        checkin_days=int(_number(o, "checkin_days", 7, "oversight")),
        weekly_summary=weekly,
        font=_optional_path(base, o.get("font"), "oversight.font"),
    )


# Every section and key config.toml documents; anything else is a typo (or an old name) and an error.
# [routing] maps group names to unit kinds, so its keys are the district's own.
KNOWN_KEYS: dict[str, frozenset[str] | None] = {
    "storage": frozenset({"data_dir", "database_url"}),
    "time": frozenset({"timezone"}),
    "units": frozenset({"directory"}),
    "calendar": frozenset({"override"}),
    "log": frozenset({"level", "file", "rotation", "retention", "json"}),
    "logging": frozenset({"level"}),  # the old name of [log] level, still read
    "telegram": frozenset(
        {
            "api_base_url",
            "api_base_file_url",
            "mode",
            "webhook_url",
            "webhook_secret",
            "webhook_listen",
            "webhook_port",
            "webhook_path",
            "connect_timeout",
            "read_timeout",
            "overall_max_rate",
            "group_max_rate",
            "max_retries",
            "send_attempts",
            "backoff_seconds",
            "chat_interval_seconds",
            "leader_lease_seconds",
            "leader_renew_seconds",
        }
    ),
    "digest": frozenset(
        {
            "time",
            "window_days",
            "workdays_only",
            "misfire_grace_seconds",
            "message_limit",
            "retry_minutes",
            "claim_timeout_seconds",
            "parallel_sends",
        }
    ),
    "access": frozenset({"mode", "admins"}),
    "import": frozenset({"max_mb", "preview_hours", "read_timeout_seconds", "read_memory_mb"}),
    "oversight": frozenset(
        {"time", "yellow_days", "fresh_days", "checkin_months", "checkin_days", "weekly_summary", "font"}
    ),
    "routing": None,
}


def _check_keys(raw: dict[str, Any], path: Path) -> None:
    """Refuse a section or key config.toml does not document, naming it and the ones that exist."""
    for section, table in raw.items():
        if section not in KNOWN_KEYS:
            known = "、".join(f"[{n}]" for n in KNOWN_KEYS)
            raise ConfigError(f"配置文件 {path} 中有未知的配置节 [{section}]（可用：{known}）")
        keys = KNOWN_KEYS[section]
        if keys is None:
            continue
        if not isinstance(table, dict):
            raise ConfigError(f"配置文件 {path} 中 {section} 应当是一个配置节 [{section}]")
        for key in table:
            if key not in keys:
                known = "、".join(sorted(keys))
                raise ConfigError(
                    f"配置文件 {path} 中有未知的配置项 {section}.{key}（[{section}] 可用：{known}）"
                )


def load_settings(explicit: str | os.PathLike[str] | None = None) -> Settings:
    """Read settings from the config file (if any) and the environment."""
    path = find_config(explicit)
    raw: dict[str, Any] = {}
    if path is not None:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"配置文件 {path} 格式有误：{exc}") from exc
        _check_keys(raw, path)
    base = path.parent.resolve() if path is not None else Path.cwd()
    storage = _section(raw, "storage")
    data_dir = _optional_path(base, storage.get("data_dir", "data"), "storage.data_dir") or base / "data"
    database_url = os.environ.get("DUBAN_DATABASE_URL") or storage.get("database_url") or ""
    if not database_url:
        database_url = f"sqlite:///{data_dir / 'duban.db'}"
    timezone = _section(raw, "time").get("timezone", "Asia/Shanghai")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"未知的时区：{timezone}") from exc
    return Settings(
        config_path=path,
        data_dir=data_dir,
        database_url=database_url,
        timezone=timezone,
        units_directory=_optional_path(base, _section(raw, "units").get("directory"), "units.directory"),
        calendar_override=_optional_path(
            base, _section(raw, "calendar").get("override"), "calendar.override"
        ),
        log=_log(raw, base),
        telegram=_telegram(raw),
        digest=_digest(raw),
        access=_access(raw),
        routing=_routing(raw),
        oversight=_oversight(raw, base),
        imports=_imports(raw),
    )


def telegram_token() -> str | None:
    """The bot token from the environment, or None when it is not set."""
    return os.environ.get(TOKEN_ENV, "").strip() or None
