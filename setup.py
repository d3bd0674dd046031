"""Which packages HallQ installs; everything else about it is in pyproject.toml.

Installed, HallQ adds one name to site-packages: ``hallq``. Each top-level folder is a
subpackage of it (``server/`` is ``hallq.server``, ``drivers/`` is ``hallq.drivers``, …), and
every package under a folder (a folder with an ``__init__.py``) is found here rather than listed,
so a new one (``server/hall_file/``) needs no edit. Files that are not Python go in through
``[tool.setuptools.package-data]`` in pyproject.toml.
"""

from setuptools import find_packages, setup

# Top-level folder -> the package it is installed as.
FOLDERS = {
    "server": "hallq.server",
    "kiosk": "hallq.kiosk",
    "display": "hallq.display",
    "counter": "hallq.counter",
    "office": "hallq.office",
    "drivers": "hallq.drivers",
    "assets": "hallq.assets",
}


def packages_and_dirs() -> tuple[list[str], dict[str, str]]:
    """Every package of HallQ, and where its top-level ones live."""
    packages: list[str] = []
    package_dir: dict[str, str] = {}
    for folder, package in FOLDERS.items():
        package_dir[package] = folder
        packages.append(package)
        packages += [f"{package}.{sub}" for sub in sorted(find_packages(folder))]
    return packages, package_dir


if __name__ == "__main__":
    found, dirs = packages_and_dirs()
    setup(packages=found, package_dir=dirs)
