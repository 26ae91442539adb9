"""PyInstaller hook for `flet` (used by build.spec; overrides the one flet-cli installs).

flet 1.0 imports its public API lazily (PEP 562), so static analysis sees almost nothing:
collect every submodule except the test tooling and the `flet` CLI shim. The desktop
client is not handled here (flet-cli's hook would download it at build time); build.spec
decides about it."""

from PyInstaller.utils.hooks import collect_data_files, collect_submodules

_SKIP = ("flet.testing", "flet.pytest_plugin", "flet.cli")

hiddenimports = collect_submodules("flet", filter=lambda name: not name.startswith(_SKIP))
datas = collect_data_files("flet")
