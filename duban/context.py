"""What every command needs: settings, logging, the database engine, the unit directory and the work calendar."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.workdays import WorkCalendar
from duban.config import ConfigError, Settings

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlmodel import Session

    from core.oversight import Thresholds
    from core.units import UnitDirectory


@dataclass(frozen=True, slots=True)
class AppContext:
    """Settings plus the resources built from them."""

    settings: Settings
    engine: Engine
    directory: UnitDirectory
    calendar: WorkCalendar | None = None

    @property
    def thresholds(self) -> Thresholds:
        """Colour thresholds from config ([digest] window_days, [oversight] yellow_days and fresh_days)."""
        from core.oversight import Thresholds

        o = self.settings.oversight
        return Thresholds(self.settings.digest.window_days, o.yellow_days, o.fresh_days)

    def group_routes(self, s: Session) -> dict[str, frozenset[str]]:
        """Every stored group name → the unit kinds (and unit names) it reaches: config [routing] over the directory."""
        from storage.digest import group_routes_for

        return group_routes_for(s, self.directory, self.settings.routing)


def load_directory(settings: Settings) -> UnitDirectory:
    """The built-in unit directory, extended (or replaced, if it says so) by the configured file."""
    from core.units import UnitDirectory

    path = settings.units_directory
    try:
        text = path.read_text(encoding="utf-8") if path is not None else None
    except OSError as exc:
        raise ConfigError(f"无法读取单位目录文件 {path}：{exc.strerror}") from exc
    try:
        return UnitDirectory.load(text)
    except ValueError as exc:
        raise ConfigError(f"单位目录文件 {path} 有误：{exc}") from exc


def load_calendar(settings: Settings) -> WorkCalendar | None:
    """The configured holiday override, if any."""
    path = settings.calendar_override
    if path is None:
        return None
    try:
        return WorkCalendar.from_toml(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"无法读取节假日覆盖文件 {path}：{exc.strerror}") from exc
    except ValueError as exc:
        raise ConfigError(f"节假日覆盖文件 {path} 有误：{exc}") from exc


def open_context(settings: Settings) -> AppContext:
    """Set up logging, the engine, the unit directory and the calendar.

    An empty database is migrated to the newest schema; an outdated one raises storage.db.SchemaOutdated.
    """
    from duban.logs import setup_logging
    from storage.db import make_engine, prepare_database

    setup_logging(settings.log, settings.tz)
    directory, calendar = load_directory(settings), load_calendar(settings)
    engine = make_engine(settings.database_url)
    prepare_database(engine)
    return AppContext(settings=settings, engine=engine, directory=directory, calendar=calendar)
