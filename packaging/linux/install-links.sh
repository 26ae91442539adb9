#!/bin/sh
# Makes chrisapp:// links (a reminder email's "open the app") open Chris Disciplined, for the
# current user: installs chris-disciplined.desktop (Exec = this app, %u = the link) into
# $XDG_DATA_HOME/applications and makes it the handler of x-scheme-handler/chrisapp.
#
#   ./install-links.sh                        # the bundle: the ChrisDisciplined next to this file
#   ./install-links.sh "$(command -v chris-app)"   # another executable (e.g. a pip install)
#   ./install-links.sh --remove               # links no longer open the app
set -eu

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
name=chris-disciplined.desktop
scheme=x-scheme-handler/chrisapp
apps="${XDG_DATA_HOME:-$HOME/.local/share}/applications"

refresh() {
    if command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database "$apps" 2>/dev/null || true
    fi
}

if [ "${1:-}" = "--remove" ]; then
    rm -f "$apps/$name"
    refresh
    echo "chrisapp:// links no longer open Chris Disciplined."
    exit 0
fi

exe=${1:-$here/ChrisDisciplined}
case $exe in
    /*) ;;
    *) exe=$(pwd)/$exe ;;
esac
if [ ! -f "$exe" ] || [ ! -x "$exe" ]; then
    echo "install-links.sh: $exe is not an executable file." >&2
    exit 1
fi
# A .desktop Exec line quotes the path; these characters would need escapes there.
unsafe() {
    case $1 in
        *\"* | *\`* | *\$* | *\\* | *%* | *"
"*) return 0 ;;
    esac
    return 1
}
if unsafe "$exe"; then
    echo "install-links.sh: the path $exe holds a character (\" \` \$ \\ % or a line break) that" \
         "this script does not write into a .desktop file; move the app to a plainer path." >&2
    exit 1
fi
template=$here/$name
if [ ! -f "$template" ]; then
    echo "install-links.sh: $template is missing." >&2
    exit 1
fi

icon=""
for candidate in "$here/_internal/assets/icon.png" "$here/../../assets/icon.png"; do
    if [ -f "$candidate" ]; then
        icon="$(CDPATH='' cd -- "$(dirname -- "$candidate")" && pwd)/icon.png"
        if unsafe "$icon"; then icon=""; fi
        break
    fi
done

# Quoted only when it must be (the desktop entry spec's reserved characters): xdg-open's own
# fallback, where no desktop environment answers, takes the first word of Exec as it is.
case $exe in
    *[[:space:]\'\>\<~\|\&\;\*\?\#\(\)]*) command="\"$exe\"" ;;
    *) command=$exe ;;
esac

mkdir -p "$apps"
temp="$apps/.$name.$$"
awk -v exec="Exec=$command %u" -v icon="$icon" '
    /^Exec=/ { print exec; next }
    /^Icon=/ && icon != "" { print "Icon=" icon; next }
    { print }' "$template" > "$temp"
chmod 644 "$temp"
mv -f "$temp" "$apps/$name"
if command -v desktop-file-validate >/dev/null 2>&1; then
    desktop-file-validate "$apps/$name"
fi
refresh

if command -v xdg-mime >/dev/null 2>&1; then
    xdg-mime default "$name" "$scheme"
    echo "chrisapp:// links now open $exe (handler: $(xdg-mime query default "$scheme"))."
else
    echo "Installed $apps/$name. xdg-mime (xdg-utils) is not installed: make $name the default" \
         "handler of $scheme in your desktop's settings, or add \"$scheme=$name\" under" \
         "[Default Applications] in ${XDG_CONFIG_HOME:-$HOME/.config}/mimeapps.list." >&2
fi
