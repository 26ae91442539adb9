@echo off
rem Undoes register-links.cmd: chrisapp:// links no longer open Chris Disciplined.
reg delete "HKCU\Software\Classes\chrisapp" /f >nul 2>&1
echo chrisapp:// links no longer open Chris Disciplined.
