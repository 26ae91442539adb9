"""Entry point of the PyInstaller desktop bundle (build.spec): the same `chris-app` command.

    ChrisDisciplined [--web] [--port N] [--host H] [--data-dir DIR] [--version]
"""

import multiprocessing
import sys

from chris_app.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    main(sys.argv[1:])
