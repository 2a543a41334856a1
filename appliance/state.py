"""AppState: what one running application holds, built once by app.create_app.

Its own module so that the request handlers (api.context) can name the type
without importing the app factory that imports them.
"""

from __future__ import annotations

from dataclasses import dataclass

from .backups.service import BackupService
from .config import Config
from .realtime import Hub
from .security.sessions import Sessions
from .security.throttle import LoginThrottle
from .shop.settings import ShopSettings
from .shop.stats import DashboardCache
from .store import Database


@dataclass(frozen=True)
class AppState:
    """What one running application holds; built once by create_app."""

    config: Config
    shop: ShopSettings  # the settings the business rules read
    database: Database
    secret: bytes  # signs session tokens
    throttle: LoginThrottle
    hub: Hub  # fans committed changes out to the open WebSockets
    backups: BackupService
    dashboard: DashboardCache
    sessions: Sessions  # accounts of recently checked tokens
