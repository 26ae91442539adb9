# Runtime hook of the desktop bundle (build.spec), run before the app imports flet.
# It replaces flet-cli's runtime hook, which would pin FLET_SERVER_IP to 127.0.0.1 and so
# override `--host`.
import os
import sys

_here = getattr(sys, "_MEIPASS", os.path.dirname(sys.executable))

# The desktop client flavour chosen at build time ("full" has audio/video; Linux defaults
# to "light" otherwise). flet_desktop reads pyproject.toml from the working directory,
# which a bundle does not have.
try:
    with open(os.path.join(_here, "flet_desktop_flavor"), encoding="utf-8") as _f:
        os.environ.setdefault("FLET_DESKTOP_FLAVOR", _f.read().strip())
except OSError:
    pass

# Linux: the client window groups and labels as this app, not as "flet".
if sys.platform.startswith("linux"):
    os.environ.setdefault("FLET_APP_ID", os.path.basename(os.path.abspath(sys.executable)))
