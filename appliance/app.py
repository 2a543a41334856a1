"""create_app(config) -> the Flask application, with every service it runs on built in a readable order.

No I/O at import time. The services live in one typed `AppState` (state.py),
kept in `app.extensions["servitec"]`; request handlers reach it through api.context.
"""

from __future__ import annotations

from flask_openapi3 import Info, OpenAPI

from . import __version__, logs
from .api import register_api
from .api.errors import validation_error_response
from .api.jsonio import OrjsonProvider
from .api.models import ErrorResponse
from .backups.service import BackupService
from .config import Config
from .realtime import Hub
from .security.sessions import Sessions
from .security.throttle import LoginThrottle
from .security.tokens import load_or_create_secret
from .shop.settings import ShopSettings
from .shop.stats import DashboardCache
from .state import AppState
from .store import Database

MAX_BODY_BYTES = 1024 * 1024


def build_state(config: Config, database: Database | None = None) -> AppState:
    """The services of an app over `database` (opened from `config.db_path` when not given)."""
    database = database or Database(config.db_path)
    hub = Hub(database)
    return AppState(
        config=config,
        shop=ShopSettings(config.zone, config.iva_percent, config.prices_include_iva, config.discount_limit_percent),
        database=database,
        secret=load_or_create_secret(config.data_dir),
        throttle=LoginThrottle(config.login_max_failures, config.login_lock_seconds),
        hub=hub,
        backups=BackupService(config, database, hub),
        dashboard=DashboardCache(),
        sessions=Sessions(),
    )


def create_app(config: Config | None = None, database: Database | None = None) -> OpenAPI:
    """Build the app over `database` (opened from `config.db_path` when not given)."""
    config = config or Config.from_env()
    logs.setup(config.log_level)
    app = OpenAPI(
        __name__,
        info=Info(
            title="ServitecManager API",
            version=__version__,
            description="API del taller: clientes, órdenes de servicio, inventario, ventas y dashboard.",
        ),
        doc_ui=False,
        # OAuth2 password flow against POST /token: Swagger UI's Authorize button signs in.
        security_schemes={"OAuth2": {"type": "oauth2", "flows": {"password": {"tokenUrl": "token", "scopes": {}}}}},
        validation_error_status=422,
        validation_error_model=ErrorResponse,
        validation_error_callback=validation_error_response,
    )
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    # For /docs and the plugin's /swagger page. Without validatorUrl=None Swagger UI sends
    # the spec's URL to validator.swagger.io whenever the page is opened by any name but
    # localhost (a shop's LAN address): the docs must not reach the internet.
    app.config["SWAGGER_CONFIG"] = {"validatorUrl": None}
    app.json = OrjsonProvider(app)
    app.extensions["servitec"] = build_state(config, database)
    register_api(app)
    return app
