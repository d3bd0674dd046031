"""A normal (not editable) install of HallQ works: its wheel holds every package and the files
beside the code, so a hall set up from it inits and serves its pages.

Nothing is downloaded: the wheel is built from a copy of the sources with the setuptools of the
project's environment (no build isolation) and installed with ``--no-deps --no-index`` into a
new virtual environment, which finds the dependencies in the project's environment through a
``.pth`` line. The commands run outside the repository, so nothing can be imported from it.
"""

from __future__ import annotations

import os
import runpy
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import SERVER_START_TIMEOUT
from tests.support.server import CONTRACT_VARIABLES

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
COMMAND_TIMEOUT = 120.0  # seconds; the machine is shared

PAGES = (
    "/healthz",
    "/",
    "/static/js/hallq-client.js",
    "/static/vendor/socket.io.min.js",
    "/i18n/en.json",
    "/api/openapi.json",
)


def run(argv: list[str | Path], *, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in argv],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
    )
    assert done.returncode == 0, (
        f"{' '.join(map(str, argv))}: exit {done.returncode}\n"
        f"--- stdout\n{done.stdout}--- stderr\n{done.stderr}"
    )
    return done.stdout


def copy_sources(target: Path) -> None:
    """What a build reads: the project files and the folders setup.py maps to packages."""
    folders = runpy.run_path(str(REPO / "setup.py"))["FOLDERS"]
    target.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(REPO / name, target / name)
    for folder in folders:
        shutil.copytree(
            REPO / folder, target / folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )


def new_venv(where: Path) -> Path:
    """A virtual environment without pip whose dependencies are the project environment's."""
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(where)],
        check=True,
        timeout=COMMAND_TIMEOUT,
    )
    python = where / "bin" / "python"
    purelib = run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], cwd=where
    )
    # This environment's site-packages (with any its own .pth files added: they do not chain).
    ours = [sysconfig.get_path("purelib"), sysconfig.get_path("platlib")]
    ours += [p for p in sys.path if Path(p).name in ("site-packages", "dist-packages")]
    lines = "\n".join(dict.fromkeys(ours))
    (Path(purelib.strip()) / "_hallq_test_dependencies.pth").write_text(lines + "\n")
    return python


def test_a_wheel_installed_in_a_new_environment_inits_and_serves(tmp_path, server_factory) -> None:
    source, wheels, elsewhere = tmp_path / "source", tmp_path / "wheels", tmp_path / "elsewhere"
    copy_sources(source)
    elsewhere.mkdir()
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", "-q"]
    run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "--wheel-dir", wheels, source],
        cwd=tmp_path,
    )
    [wheel] = wheels.glob("hallq-*.whl")
    venv = tmp_path / "venv"
    python = new_venv(venv)
    run([*pip, "--python", python, "install", "--no-deps", "--no-index", wheel], cwd=tmp_path)

    env = {k: v for k, v in os.environ.items() if k not in (*CONTRACT_VARIABLES, "PYTHONPATH")}
    env["HALLQ_DATA_DIR"] = str(tmp_path / "data")

    # The installed packages, not the repository's folders.
    where = run(
        [
            python,
            "-c",
            "import importlib.resources as r, hallq.server, hallq.assets, hallq.server.hall_file\n"
            "print(hallq.server.__file__)\n"
            "print(r.files('hallq.assets').joinpath('sample_hall.toml').is_file())\n"
            "print(r.files('hallq.server').joinpath('templates/front.html').is_file())\n",
        ],
        cwd=elsewhere,
        env=env,
    ).split()
    assert Path(where[0]).resolve().is_relative_to(venv.resolve()), where
    assert not Path(where[0]).resolve().is_relative_to(REPO), where
    assert where[1:] == ["True", "True"], where

    hallq = venv / "bin" / "hallq"
    out = run([hallq, "init", "--demo"], cwd=elsewhere, env=env)
    assert "Created the database" in out, out

    server = server_factory(
        [hallq, "serve", "--host", "{host}", "--port", "{port}"],
        env={"HALLQ_DATA_DIR": env["HALLQ_DATA_DIR"], "PYTHONPATH": None},
        cwd=elsewhere,
        timeout=SERVER_START_TIMEOUT,
    )
    with requests.Session() as http:
        http.trust_env = False  # no proxy between the test and its own server
        for path in PAGES:
            response = http.get(server.url + path, timeout=15)
            assert response.status_code == 200, (
                f"{path}: {response.status_code} {response.text[:300]}"
            )
        served = http.get(server.url + "/static/js/hallq-client.js", timeout=15).content
    assert served == (source / "server" / "static" / "js" / "hallq-client.js").read_bytes()
