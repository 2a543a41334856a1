; ServitecManager's Windows installer: the server (tray + REST server) and the counter client.
;
; makensis -DVERSION=0.7.0 -DPAYLOAD_DIR=dist -DICON_FILE=servitec.ico
;          -DOUT_FILE=ServitecManager-Setup-0.7.0.exe installer\servitec.nsi
;
; PAYLOAD_DIR holds ServitecServer.exe and ServitecCliente.exe. Every text the shop sees is
; Spanish (es-MX) and, like NSIS's own Spanish strings, addresses the reader as "usted".

Unicode true

!ifndef VERSION
  !error "Missing -DVERSION=X.Y.Z (the release, e.g. -DVERSION=0.7.0)"
!endif
!ifndef PAYLOAD_DIR
  !error "Missing -DPAYLOAD_DIR=<folder with ServitecServer.exe and ServitecCliente.exe>"
!endif
!ifndef ICON_FILE
  !error "Missing -DICON_FILE=<icon .ico> (python -c 'from appliance.icons import write_ico; write_ico(...)')"
!endif
!ifndef OUT_FILE
  !error "Missing -DOUT_FILE=<setup .exe to write, e.g. ServitecManager-Setup-${VERSION}.exe>"
!endif
!searchparse /noerrors "${VERSION}" "" VERSION_MAJOR "." VERSION_MINOR "." VERSION_PATCH
!ifndef VERSION_PATCH
  !error "VERSION must be X.Y.Z, got '${VERSION}'"
!endif
!if ! /FileExists "${PAYLOAD_DIR}\ServitecServer.exe"
  !error "PAYLOAD_DIR has no ServitecServer.exe: ${PAYLOAD_DIR}"
!endif
!if ! /FileExists "${PAYLOAD_DIR}\ServitecCliente.exe"
  !error "PAYLOAD_DIR has no ServitecCliente.exe: ${PAYLOAD_DIR}"
!endif
!if ! /FileExists "${ICON_FILE}"
  !error "ICON_FILE does not exist: ${ICON_FILE}"
!endif

!include "MUI2.nsh"
!include "LogicLib.nsh"
!include "Sections.nsh"
!include "FileFunc.nsh"
!include "x64.nsh"

!define PRODUCT "ServitecManager"
!define PUBLISHER "ServitecManager"
!define UNINSTALLER "Desinstalar.exe"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${PRODUCT}"
; The tray's menu toggles this same value: same name, same quoting.
!define RUN_KEY "Software\Microsoft\Windows\CurrentVersion\Run"
; NSIS has no constant of its own for ProgramData: with SetShellVarContext all (set in both
; .onInit callbacks) $APPDATA is it. The server finds the same folder through platformdirs.
!define DATA_ROOT "$APPDATA\${PRODUCT}"
; BUILTIN\Users by its well-known SID: the group's name is "Usuarios" on a Spanish Windows.
!define USERS_SID "*S-1-5-32-545"

Name "${PRODUCT} ${VERSION}"
OutFile "${OUT_FILE}"
InstallDir "$PROGRAMFILES64\${PRODUCT}"
RequestExecutionLevel admin
ManifestDPIAware true
SetCompressor /SOLID lzma
ShowInstDetails show
ShowUninstDetails show

VIProductVersion "${VERSION_MAJOR}.${VERSION_MINOR}.${VERSION_PATCH}.0"
VIAddVersionKey /LANG=1034 "ProductName" "${PRODUCT}"
VIAddVersionKey /LANG=1034 "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=1034 "FileDescription" "Instalador de ${PRODUCT}"
VIAddVersionKey /LANG=1034 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=1034 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=1034 "LegalCopyright" "${PUBLISHER}"

Var FirewallFailed

!define MUI_ICON "${ICON_FILE}"
!define MUI_UNICON "${ICON_FILE}"
!define MUI_ABORTWARNING

; NSIS's Spanish says "ordenador"; in Mexico it is "computadora".
!define MUI_WELCOMEPAGE_TEXT "Este asistente instalará ${PRODUCT} ${VERSION} en esta computadora.$\r$\n$\r$\nEn la PC del servidor (una sola en el taller) elija Servidor e Iniciar con Windows. En cada PC de mostrador elija Cliente.$\r$\n$\r$\n$(^ClickNext)"
!insertmacro MUI_PAGE_WELCOME
!define MUI_COMPONENTSPAGE_TEXT_TOP "Servidor: en una sola PC del taller, la que guarda los datos. Cliente: en cada PC de mostrador. Pueden ir los dos en la misma PC."
!define MUI_PAGE_CUSTOMFUNCTION_LEAVE ComponentsLeave
!insertmacro MUI_PAGE_COMPONENTS
!define MUI_PAGE_CUSTOMFUNCTION_LEAVE DirectoryLeave
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!define MUI_FINISHPAGE_TEXT "${PRODUCT} ${VERSION} quedó instalado en esta computadora.$\r$\n$\r$\nSus datos y respaldos se guardan en ${DATA_ROOT}.$\r$\n$\r$\nPresione Terminar para cerrar este asistente."
!insertmacro MUI_PAGE_FINISH

!insertmacro MUI_UNPAGE_CONFIRM
!define MUI_COMPONENTSPAGE_TEXT_TOP "Los datos del taller (clientes, órdenes, ventas y respaldos) se conservan en ${DATA_ROOT} a menos que marque la última casilla."
!insertmacro MUI_UNPAGE_COMPONENTS
!insertmacro MUI_UNPAGE_INSTFILES

!insertmacro MUI_LANGUAGE "Spanish"

; netsh accepts two rules with one name, so a reinstall deletes the rule before adding it again.
; PROGRAM is empty or program="..." to open the port only to that executable.
!macro ALLOW_INBOUND NAME PROTOCOL PORT PROGRAM
  nsExec::Exec '"$SYSDIR\netsh.exe" advfirewall firewall delete rule name="${NAME}"'
  Pop $0
  nsExec::ExecToLog '"$SYSDIR\netsh.exe" advfirewall firewall add rule name="${NAME}" dir=in action=allow protocol=${PROTOCOL} localport=${PORT} profile=private ${PROGRAM}'
  Pop $0
  ${If} $0 != 0
    StrCpy $FirewallFailed 1
    DetailPrint "No se pudo crear la regla del firewall $\"${NAME}$\" (${PROTOCOL} ${PORT})."
  ${EndIf}
!macroend

!macro REMOVE_RULE NAME
  nsExec::Exec '"$SYSDIR\netsh.exe" advfirewall firewall delete rule name="${NAME}"'
  Pop $0
!macroend

; Appends LABEL to $R0 when FILE is running: Windows refuses to open a running executable for
; writing, which tells without a plug-in and in any language of Windows.
!macro NOTE_IF_RUNNING FILE LABEL
  ${If} ${FileExists} "${FILE}"
    ClearErrors
    FileOpen $R1 "${FILE}" a
    ${If} ${Errors}
      StrCpy $R0 "$R0    ${LABEL}$\r$\n"
    ${Else}
      FileClose $R1
    ${EndIf}
  ${EndIf}
!macroend

; Leaves $R0 empty once nothing of ServitecManager runs from $INSTDIR, or the names of what still
; runs when the user gives up.
!macro ASK_TO_CLOSE_FUNCTION UN
  Function ${UN}AskToClose
    ${Do}
      StrCpy $R0 ""
      !insertmacro NOTE_IF_RUNNING "$INSTDIR\ServitecServer.exe" "${PRODUCT} (servidor)"
      !insertmacro NOTE_IF_RUNNING "$INSTDIR\ServitecCliente.exe" "${PRODUCT} (mostrador)"
      ${If} $R0 == ""
        Return
      ${EndIf}
      ${IfNot} ${Cmd} `MessageBox MB_RETRYCANCEL|MB_ICONEXCLAMATION "Cierre estos programas antes de continuar:$\r$\n$\r$\n$R0$\r$\nEl servidor se cierra desde su ícono junto al reloj. Después presione Reintentar." /SD IDCANCEL IDRETRY`
        Return
      ${EndIf}
    ${Loop}
  FunctionEnd
!macroend
!insertmacro ASK_TO_CLOSE_FUNCTION ""
!insertmacro ASK_TO_CLOSE_FUNCTION "un."

InstType "PC del servidor"
InstType "PC de mostrador"

Section "Servidor" SEC_SERVER
  SectionIn 1
  SetOutPath "$INSTDIR"
  File "${PAYLOAD_DIR}\ServitecServer.exe"
  CreateShortcut "$SMPROGRAMS\${PRODUCT} (servidor).lnk" "$INSTDIR\ServitecServer.exe"

  ; The server runs as whoever is signed in, not as the admin who installs: every local user
  ; must be able to write the database, its lock file, the logs and the backups.
  CreateDirectory "${DATA_ROOT}\data"
  CreateDirectory "${DATA_ROOT}\backups"
  nsExec::ExecToLog '"$SYSDIR\icacls.exe" "${DATA_ROOT}" /grant ${USERS_SID}:(OI)(CI)M'
  Pop $0
  ${If} $0 != 0
    DetailPrint "No se pudieron dar permisos de escritura a los usuarios en ${DATA_ROOT}."
    MessageBox MB_OK|MB_ICONEXCLAMATION "No se pudieron dar permisos de escritura en ${DATA_ROOT}. El servidor solo podrá guardar datos si se abre como administrador." /SD IDOK
  ${EndIf}

  ; The API rule is the one the README documents; mDNS's port is shared with every other
  ; responder on the PC (Bonjour, browsers), so that rule opens it to the server only.
  !insertmacro ALLOW_INBOUND "ServitecManager API" TCP 8000 ""
  !insertmacro ALLOW_INBOUND "ServitecManager mDNS (servidor)" UDP 5353 `program="$INSTDIR\ServitecServer.exe"`
SectionEnd

Section "Cliente" SEC_CLIENT
  SectionIn 2
  SetOutPath "$INSTDIR"
  File "${PAYLOAD_DIR}\ServitecCliente.exe"
  CreateShortcut "$SMPROGRAMS\${PRODUCT} (mostrador).lnk" "$INSTDIR\ServitecCliente.exe"

  !insertmacro ALLOW_INBOUND "ServitecManager aviso UDP" UDP 42424 ""
  !insertmacro ALLOW_INBOUND "ServitecManager mDNS (mostrador)" UDP 5353 `program="$INSTDIR\ServitecCliente.exe"`
SectionEnd

; HKCU of the account that runs the installer: the tray runs in the signed-in user's session,
; and the tray's own menu turns this value on and off for that user.
Section "Iniciar con Windows" SEC_AUTOSTART
  SectionIn 1
  WriteRegStr HKCU "${RUN_KEY}" "${PRODUCT}" '"$INSTDIR\ServitecServer.exe"'
SectionEnd

Section "-Registro"
  WriteUninstaller "$INSTDIR\${UNINSTALLER}"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayName" "${PRODUCT}"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\${UNINSTALLER}"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\${UNINSTALLER}"'
  WriteRegStr HKLM "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\${UNINSTALLER}" /S'
  WriteRegStr HKLM "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  IntFmt $0 "0x%08X" $0
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "EstimatedSize" $0
SectionEnd

!insertmacro MUI_FUNCTION_DESCRIPTION_BEGIN
  !insertmacro MUI_DESCRIPTION_TEXT ${SEC_SERVER} "El servidor del taller (ícono junto al reloj). Va en una sola PC: guarda los datos y respaldos en ${DATA_ROOT} y abre en el firewall el puerto 8000 y mDNS."
  !insertmacro MUI_DESCRIPTION_TEXT ${SEC_CLIENT} "La ventana del mostrador, que sigue trabajando sin conexión. Va en cada PC de mostrador; abre en el firewall el aviso UDP 42424 y mDNS para encontrar el servidor."
  !insertmacro MUI_DESCRIPTION_TEXT ${SEC_AUTOSTART} "Abre el servidor al iniciar sesión en Windows con esta cuenta de usuario. Solo con Servidor; después se cambia desde el menú del ícono."
!insertmacro MUI_FUNCTION_DESCRIPTION_END

Function .onInit
  ${IfNot} ${RunningX64}
    MessageBox MB_OK|MB_ICONSTOP "${PRODUCT} necesita Windows de 64 bits." /SD IDOK
    Abort
  ${EndIf}
  SetRegView 64
  SetShellVarContext all
  ; An update goes where the previous install went.
  ReadRegStr $0 HKLM "${UNINSTALL_KEY}" "InstallLocation"
  ${If} $0 != ""
    StrCpy $INSTDIR $0
  ${EndIf}
FunctionEnd

; Starting with Windows only makes sense for the server.
Function .onSelChange
  ${If} ${SectionIsSelected} ${SEC_SERVER}
    !insertmacro ClearSectionFlag ${SEC_AUTOSTART} ${SF_RO}
  ${Else}
    !insertmacro UnselectSection ${SEC_AUTOSTART}
    !insertmacro SetSectionFlag ${SEC_AUTOSTART} ${SF_RO}
  ${EndIf}
FunctionEnd

Function .onInstSuccess
  ${If} $FirewallFailed == 1
    MessageBox MB_OK|MB_ICONEXCLAMATION "No se pudieron crear todas las reglas del firewall de Windows (vea los detalles). Créelas a mano como dice el README, en $\"Configurar Firewall (Windows)$\"." /SD IDOK
  ${EndIf}
FunctionEnd

Function ComponentsLeave
  ${IfNot} ${SectionIsSelected} ${SEC_SERVER}
  ${AndIfNot} ${SectionIsSelected} ${SEC_CLIENT}
    MessageBox MB_OK|MB_ICONEXCLAMATION "Elija Servidor, Cliente o los dos." /SD IDOK
    Abort
  ${EndIf}
FunctionEnd

Function DirectoryLeave
  Call AskToClose
  ${If} $R0 != ""
    Abort
  ${EndIf}
FunctionEnd

Section "un.${PRODUCT} (programa)" UNSEC_PROGRAM
  SectionIn RO
  Delete "$INSTDIR\ServitecServer.exe"
  Delete "$INSTDIR\ServitecCliente.exe"
  Delete "$INSTDIR\${UNINSTALLER}"
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\${PRODUCT} (servidor).lnk"
  Delete "$SMPROGRAMS\${PRODUCT} (mostrador).lnk"

  !insertmacro REMOVE_RULE "ServitecManager API"
  !insertmacro REMOVE_RULE "ServitecManager mDNS (servidor)"
  !insertmacro REMOVE_RULE "ServitecManager aviso UDP"
  !insertmacro REMOVE_RULE "ServitecManager mDNS (mostrador)"

  DeleteRegValue HKCU "${RUN_KEY}" "${PRODUCT}"
  DeleteRegKey HKLM "${UNINSTALL_KEY}"
SectionEnd

; The desktop client's own copy (replica, queue, config.json) lives in each user's
; %LOCALAPPDATA%\ServitecManager, out of an admin uninstaller's reach: it stays.
Section /o "un.Borrar también los datos y respaldos" UNSEC_DATA
  ${If} ${Cmd} `MessageBox MB_YESNO|MB_ICONEXCLAMATION|MB_DEFBUTTON2 "Se borrarán para siempre la base de datos del taller (clientes, órdenes, ventas, inventario y cuentas del personal) y todos sus respaldos, en ${DATA_ROOT}.$\r$\n$\r$\nNo se puede deshacer. ¿Borrarlos?" /SD IDNO IDYES`
    RMDir /r "${DATA_ROOT}"
  ${Else}
    DetailPrint "Se conservaron los datos y respaldos en ${DATA_ROOT}."
  ${EndIf}
SectionEnd

!insertmacro MUI_UNFUNCTION_DESCRIPTION_BEGIN
  !insertmacro MUI_DESCRIPTION_TEXT ${UNSEC_PROGRAM} "Quita los programas, los accesos del menú Inicio, las reglas del firewall y el inicio con Windows."
  !insertmacro MUI_DESCRIPTION_TEXT ${UNSEC_DATA} "BORRA clientes, órdenes, ventas, inventario y todos los respaldos de este taller. Déjela sin marcar si va a reinstalar o a pasar el servidor a otra PC."
!insertmacro MUI_UNFUNCTION_DESCRIPTION_END

Function un.onInit
  SetRegView 64
  SetShellVarContext all
  Call un.AskToClose
  ${If} $R0 != ""
    Abort
  ${EndIf}
FunctionEnd
