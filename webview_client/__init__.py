"""The desktop client of ServitecManager; `api_client.ServitecAPIClient` talks to the appliance."""
