@echo off
rem Makes chrisapp:// links (a reminder email's "open the app") open Chris Disciplined, for the
rem current user only (HKEY_CURRENT_USER: no administrator rights needed). Run it from the
rem folder of ChrisDisciplined.exe, or give another executable's full path as its argument.
rem The keys it writes (HKCU\Software\Classes\chrisapp):
rem   (default)                    = URL:Chris Disciplined
rem   URL Protocol                 = (empty: marks the key as a URL scheme)
rem   DefaultIcon\(default)        = "<exe>",0
rem   shell\open\command\(default) = "<exe>" "%1"
rem unregister-links.cmd removes them.
setlocal
set "EXE=%~dp0ChrisDisciplined.exe"
if not "%~1"=="" set "EXE=%~f1"
if not exist "%EXE%" (
    echo register-links: "%EXE%" does not exist. 1>&2
    exit /b 1
)
set "KEY=HKCU\Software\Classes\chrisapp"
reg add "%KEY%" /ve /d "URL:Chris Disciplined" /f >nul || exit /b 1
reg add "%KEY%" /v "URL Protocol" /d "" /f >nul || exit /b 1
reg add "%KEY%\DefaultIcon" /ve /d "\"%EXE%\",0" /f >nul || exit /b 1
reg add "%KEY%\shell\open\command" /ve /d "\"%EXE%\" \"%%1\"" /f >nul || exit /b 1
echo chrisapp:// links now open "%EXE%".
