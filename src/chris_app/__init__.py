"""Chris Disciplined: a local-first daily discipline app."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("chris-app")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
