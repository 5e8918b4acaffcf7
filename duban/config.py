"""Settings: config.toml (found by --config, $DUBAN_CONFIG, ./config.toml) plus environment overrides."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class ConfigError(ValueError):
    """A configuration problem, described in Chinese for the person running Duban."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything Duban reads from config.toml and the environment."""

    config_path: Path | None
    data_dir: Path
    database_url: str
    timezone: str
    units_directory: Path | None
    calendar_override: Path | None
    log_level: str

    @property
    def tz(self) -> ZoneInfo:
        """The configured time zone."""
        return ZoneInfo(self.timezone)


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


def load_settings(explicit: str | os.PathLike[str] | None = None) -> Settings:
    """Read settings from the config file (if any) and the environment."""
    path = find_config(explicit)
    raw: dict[str, Any] = {}
    if path is not None:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"配置文件 {path} 格式有误：{exc}") from exc
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
        calendar_override=_optional_path(base, _section(raw, "calendar").get("override"), "calendar.override"),
        log_level=str(_section(raw, "logging").get("level", "INFO")).upper(),
    )
