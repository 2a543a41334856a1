@echo off
rem Builds and starts the ServitecManager server in Docker (docker-compose.server.yml, beside this file).
rem Messages without accents: cmd.exe's code page would garble them.
setlocal
cd /d "%~dp0"

where docker >nul 2>nul
if errorlevel 1 (
  echo No se encontro Docker. Instala Docker Desktop desde https://www.docker.com/ y vuelve a intentarlo.
  exit /b 1
)

set "COMPOSE=docker compose"
docker compose version >nul 2>nul
if errorlevel 1 set "COMPOSE=docker-compose"

echo Construyendo e iniciando el servidor de ServitecManager...
%COMPOSE% -f docker-compose.server.yml up -d --build
if errorlevel 1 (
  echo No se pudo iniciar. Revisa que Docker Desktop este abierto.
  exit /b 1
)
%COMPOSE% -f docker-compose.server.yml ps

echo.
echo Servidor listo en http://localhost:8000/  (documentacion en http://localhost:8000/docs)
echo Primera vez: crea la cuenta del dueno con
echo   %COMPOSE% -f docker-compose.server.yml exec api-server python -m appliance create-user --rol dueno --username TU-USUARIO
echo Registro:  %COMPOSE% -f docker-compose.server.yml logs -f
echo Respaldo:  %COMPOSE% -f docker-compose.server.yml exec api-server python -m appliance backup
endlocal
