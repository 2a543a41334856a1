"""ServitecManager appliance: the server that runs a repair shop's counter."""

__version__ = "0.8.0"
APP_NAME = "ServitecManager"
