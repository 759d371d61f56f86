"""The Lambda package build (deploy/package.py, deploy/artefacts.py): reproducible zips with
bytecode for the runtime's Python, limits, native code."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import os
import platform
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from deploy import artefacts, package, package_publisher, package_transitions
from deploy.package import (
    DEFAULT_PYTHON_VERSION,
    Architecture,
    ArtifactStats,
    PackageError,
    build_function_zip,
    build_layer_zip,
    check_limits,
    install_dependencies,
    pip_install_command,
    platform_tags,
    verify_native_code,
)

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build"
#: The bytecode magic of every CPython 3.12.x: 3531 (CPython's
#: Lib/importlib/_bootstrap_external.py, "Python 3.12b1 3531"), then b"\r\n".
PYTHON_312_MAGIC = (3531).to_bytes(2, "little") + b"\r\n"
#: The flags word of a PEP 552 pyc: bit 0 hash-based, bit 1 check_source.
UNCHECKED_HASH_FLAGS = 0b01
#: The cache tag of the interpreter running the tests (3.11 locally): the offline tests
#: compile with it, since what they check does not depend on the Python version.
HOST_TAG = sys.implementation.cache_tag


def _names(archive: Path) -> list[str]:
    with zipfile.ZipFile(archive) as handle:
        return handle.namelist()


def _sources(archive: Path) -> list[str]:
    """The names in ``archive`` that are not bytecode."""
    return [name for name in _names(archive) if "__pycache__/" not in name]


@pytest.fixture(scope="session")
def target_python() -> str:
    """A CPython of the Lambda runtime's version (3.12). Missing, the tests that need it are
    skipped on a developer's machine but FAIL in CI (CI=true): a package is never built there
    without it, so its checks must never pass vacuously."""
    interpreter = artefacts.find_interpreter(DEFAULT_PYTHON_VERSION)
    if interpreter is None:
        reason = (
            f"no CPython {DEFAULT_PYTHON_VERSION} on this machine (TARGET_PYTHON, "
            f"python{DEFAULT_PYTHON_VERSION} on PATH or pyenv): the packages' bytecode cannot "
            "be checked"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return interpreter


def _check_bytecode(archive: Path, interpreter: str, magic: bytes = PYTHON_312_MAGIC) -> int:
    """Assert every ``.py`` of ``archive`` has its unchecked-hash pyc for ``interpreter``'s
    tag, made from exactly that source (its hash checked by ``interpreter`` itself), and
    that no other pyc is there; return how many modules were checked."""
    tag = artefacts.cache_tag(DEFAULT_PYTHON_VERSION)
    with zipfile.ZipFile(archive) as handle:
        names = set(handle.namelist())
        sources = sorted(n for n in names if n.endswith(".py"))
        expected = {artefacts.cache_file_name(n, tag) for n in sources}
        assert {n for n in names if n.endswith(".pyc")} == expected
        pairs = []
        for source in sources:
            pyc = handle.read(artefacts.cache_file_name(source, tag))
            assert pyc[:4] == magic, f"{source}: magic {pyc[:4]!r}"
            assert int.from_bytes(pyc[4:8], "little") == UNCHECKED_HASH_FLAGS, source
            pairs.append((base64.b64encode(handle.read(source)).decode(), pyc[8:16].hex()))
    check = (
        "import base64, importlib.util, json, sys\n"
        "pairs = json.load(sys.stdin)\n"
        "bad = [i for i, (src, h) in enumerate(pairs)\n"
        "       if importlib.util.source_hash(base64.b64decode(src)).hex() != h]\n"
        "print(json.dumps(bad))\n"
    )
    result = subprocess.run(
        [interpreter, "-I", "-c", check],
        input=json.dumps(pairs),
        capture_output=True,
        text=True,
        check=True,
    )
    assert [sources[i] for i in json.loads(result.stdout)] == []
    return len(sources)


# ----------------------------------------------------------------------------- pip command


def test_platform_tags_cover_lambda_glibc_down_to_manylinux2014() -> None:
    tags = platform_tags(Architecture.ARM64)
    assert tags[0] == "manylinux_2_34_aarch64"
    assert "manylinux_2_28_aarch64" in tags  # numpy 2.x wheels
    assert "manylinux_2_17_aarch64" in tags and tags[-1] == "manylinux2014_aarch64"
    assert all(tag.endswith("_x86_64") for tag in platform_tags(Architecture.X86_64))


def test_pip_command_targets_the_lambda_platform_not_this_machine(tmp_path: Path) -> None:
    command = pip_install_command(
        tmp_path / "r.txt", tmp_path / "t", arch=Architecture.ARM64, python_version="3.12"
    )
    platforms = [command[i + 1] for i, arg in enumerate(command) if arg == "--platform"]
    assert platforms == platform_tags(Architecture.ARM64)
    assert command[command.index("--python-version") + 1] == "3.12"
    assert command[command.index("--implementation") + 1] == "cp"
    assert "--only-binary=:all:" in command and "--no-compile" in command
    assert command[command.index("--target") + 1] == str(tmp_path / "t")


def _write_wheel(directory: Path, name: str, version: str, module_source: str) -> Path:
    """Write a minimal pure-Python wheel (py3-none-any) into ``directory``."""
    dist = f"{name}-{version}.dist-info"
    files = {
        f"{name}.py": module_source.encode(),
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{dist}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n",
    }
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{dist}/RECORD,,")
    files[f"{dist}/RECORD"] = ("\n".join(record) + "\n").encode()
    wheel = directory / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as handle:
        for path, data in files.items():
            handle.writestr(path, data)
    return wheel


def test_install_dependencies_and_layer_zip_offline(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    _write_wheel(wheels, "lessonbot_fake_dep", "1.0", "VALUE = 42\n")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("lessonbot_fake_dep==1.0\n")
    target = tmp_path / "site"
    install_dependencies(
        requirements,
        target,
        arch=Architecture.ARM64,
        extra_args=["--no-index", "--find-links", str(wheels)],
    )
    stats = build_layer_zip(target, tmp_path / "layer.zip", interpreter=sys.executable)
    names = _names(stats.path)
    assert "python/lessonbot_fake_dep.py" in names
    assert f"python/__pycache__/lessonbot_fake_dep.{HOST_TAG}.pyc" in names
    assert all(name.startswith("python/") for name in names)


def test_install_dependencies_reports_pip_failure(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("lessonbot-no-such-package==0.0.1\n")
    with pytest.raises(PackageError, match="pip install failed"):
        install_dependencies(
            requirements, tmp_path / "t", extra_args=["--no-index", "--find-links", str(tmp_path)]
        )


# ----------------------------------------------------------------------------- zips


def test_function_zip_holds_our_code_only_and_is_reproducible(
    tmp_path: Path, target_python: str
) -> None:
    first = build_function_zip(tmp_path / "a" / "function.zip", interpreter=target_python)
    second = build_function_zip(tmp_path / "b" / "function.zip", interpreter=target_python)
    assert first.path.read_bytes() == second.path.read_bytes()
    assert _names(first.path) == sorted(_names(first.path))
    assert _check_bytecode(first.path, target_python) > 0
    names = _sources(first.path)
    assert "lambda_function.py" in names
    assert "lex_bot/lesson_app/app.py" in names and "knowledge_graph/loader.py" in names
    assert "lex_bot/lesson_app/messages/en_US.yaml" in names
    assert {name.split("/")[0] for name in names} == {
        "lambda_function.py",
        "lex_bot",
        "knowledge_graph",
    }
    assert not any(n.startswith(("tests/", "data/", "deploy/")) for n in names)
    with zipfile.ZipFile(first.path) as handle:
        for info in handle.infolist():
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert (info.external_attr >> 16) & 0o777 == 0o644


def _fake_site_packages(root: Path, *, reverse: bool, mtime: int) -> Path:
    files = {
        "pkg/__init__.py": "x = 1\n",
        "pkg/core.py": "y = 2\n",
        "pkg/__pycache__/core.cpython-312.pyc": "junk",
        "pkg/tests/test_core.py": "def test(): pass\n",
        "pkg/testing/helpers.py": "z = 3\n",
        "pkg-1.0.dist-info/METADATA": "Name: pkg\n",
        "bin/pkg-cli": "#!/home/someone/python\n",
        "single.py": "w = 4\n",
    }
    for name in sorted(files, reverse=reverse):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(files[name])
        path.chmod(0o755 if reverse else 0o600)
        os.utime(path, (mtime, mtime))
    return root


def test_layer_zip_is_byte_identical_whatever_the_order_times_and_modes(tmp_path: Path) -> None:
    one = _fake_site_packages(tmp_path / "one", reverse=False, mtime=1_600_000_000)
    two = _fake_site_packages(tmp_path / "two", reverse=True, mtime=1_700_000_000)
    first = build_layer_zip(one, tmp_path / "one.zip", interpreter=sys.executable)
    second = build_layer_zip(two, tmp_path / "two.zip", interpreter=sys.executable)
    # Unchecked-hash pycs do not record the sources' mtimes, so they match too.
    assert first.path.read_bytes() == second.path.read_bytes()
    assert _sources(first.path) == [
        "python/pkg-1.0.dist-info/METADATA",
        "python/pkg/__init__.py",
        "python/pkg/core.py",
        "python/pkg/testing/helpers.py",
        "python/single.py",
    ]
    # The junk pyc that was lying in pkg/__pycache__ is replaced by freshly compiled ones.
    assert sorted(set(_names(first.path)) - set(_sources(first.path))) == [
        f"python/__pycache__/single.{HOST_TAG}.pyc",
        f"python/pkg/__pycache__/__init__.{HOST_TAG}.pyc",
        f"python/pkg/__pycache__/core.{HOST_TAG}.pyc",
        f"python/pkg/testing/__pycache__/helpers.{HOST_TAG}.pyc",
    ]
    with zipfile.ZipFile(first.path) as handle:
        for info in handle.infolist():
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert (info.external_attr >> 16) & 0o777 == 0o644


def test_check_limits() -> None:
    mb = 1024 * 1024
    fine = [ArtifactStats(Path("f.zip"), 1, mb, 2 * mb), ArtifactStats(Path("l.zip"), 1, mb, mb)]
    assert check_limits(fine) == [] and package.upload_notes(fine) == []
    # Above 50 MB zipped only a direct upload is refused; sam deploy goes through S3.
    big_zip = [ArtifactStats(Path("l.zip"), 1, 51 * mb, 60 * mb)]
    assert check_limits(big_zip) == []
    assert "l.zip" in package.upload_notes(big_zip)[0] and "S3" in package.upload_notes(big_zip)[0]
    too_big_unzipped = [
        ArtifactStats(Path("f.zip"), 1, mb, 100 * mb),
        ArtifactStats(Path("l.zip"), 1, 40 * mb, 151 * mb),
    ]
    assert "250 MB" in check_limits(too_big_unzipped)[0]


def _elf(machine: int) -> bytes:
    return b"\x7fELF\x02\x01\x01" + b"\x00" * 11 + machine.to_bytes(2, "little") + b"\x00" * 40


def test_verify_native_code_rejects_the_wrong_architecture(tmp_path: Path) -> None:
    good = tmp_path / "good.zip"
    with zipfile.ZipFile(good, "w") as handle:
        handle.writestr(
            "python/numpy/_core/_multiarray_umath.cpython-312-aarch64-linux-gnu.so", _elf(183)
        )
        handle.writestr("python/numpy.libs/libopenblas.so.0", _elf(183))
    assert verify_native_code(good, Architecture.ARM64, "3.12") == []
    assert verify_native_code(good, Architecture.ARM64, "3.13")  # wrong Python tag

    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as handle:
        handle.writestr(
            "python/numpy/_core/_multiarray_umath.cpython-312-aarch64-linux-gnu.so", _elf(62)
        )
        handle.writestr("python/yaml/_yaml.cpython-312-x86_64-linux-gnu.so", _elf(62))
    problems = verify_native_code(bad, Architecture.ARM64, "3.12")
    assert any("ELF machine 62" in p for p in problems)
    assert any("_yaml" in p for p in problems)


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        check=True,
        capture_output=True,
    )


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A git repository with a tiny version of our code, all of it committed."""
    root = tmp_path / "repo"
    for name, text in {
        "lambda_function.py": "def lambda_handler(e, c):\n    return e\n",
        "lex_bot/__init__.py": "",
        "lex_bot/lesson_app/app.py": "APP = 1\n",
        "knowledge_graph/__init__.py": "",
    }.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    _git(root, "init", "-q")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "code")
    return root


@pytest.mark.reliability(
    area="Packaging",
    tried="untracked credentials.json, local_settings.env and progress.db, and an untracked "
    "symlink to /etc/hostname, inside the packaged folders",
    scale="4 planted files",
    outcome="function.zip holds exactly the tracked files; none of the planted names or the "
    "host name's contents",
)
def test_function_zip_ships_only_what_git_tracks(checkout: Path, tmp_path: Path) -> None:
    secrets = {
        "lex_bot/credentials.json": '{"aws_secret_access_key": "PLANTED-SECRET"}',
        "lex_bot/lesson_app/local_settings.env": "TOKEN=PLANTED-SECRET\n",
        "knowledge_graph/progress.db": "PLANTED-SECRET",
    }
    for name, text in secrets.items():
        (checkout / name).write_text(text)
    (checkout / "lex_bot" / "hostname").symlink_to("/etc/hostname")
    stats = build_function_zip(tmp_path / "function.zip", checkout, interpreter=sys.executable)
    names = _sources(stats.path)
    assert names == [
        "knowledge_graph/__init__.py",
        "lambda_function.py",
        "lex_bot/__init__.py",
        "lex_bot/lesson_app/app.py",
    ]
    content = stats.path.read_bytes()
    assert b"PLANTED-SECRET" not in content and b"credentials" not in content


@pytest.mark.reliability(
    area="Packaging",
    tried="a committed symlink in the packaged folders pointing outside the repository "
    "(/etc/hostname)",
    scale="1 symlink",
    outcome="the build stops naming it; no zip is written",
)
def test_a_tracked_symlink_leaving_the_tree_stops_the_build(checkout: Path, tmp_path: Path) -> None:
    (checkout / "lex_bot" / "hostname").symlink_to("/etc/hostname")
    _git(checkout, "add", "lex_bot/hostname")
    with pytest.raises(PackageError, match=r"lex_bot/hostname: symlink .* leaves the repository"):
        build_function_zip(tmp_path / "function.zip", checkout, interpreter=sys.executable)
    assert not (tmp_path / "function.zip").exists()


def test_packaging_outside_a_git_checkout_is_refused(tmp_path: Path) -> None:
    (tmp_path / "lambda_function.py").write_text("")
    with pytest.raises(PackageError, match="git"):
        build_function_zip(tmp_path / "out" / "function.zip", tmp_path, interpreter=sys.executable)


# ----------------------------------------------------------------------------- lock files


def _pins(lock: Path) -> dict[str, tuple[str, tuple[str, ...]]]:
    """``name -> (version and markers, hashes)`` of a lock file."""
    pins: dict[str, tuple[str, tuple[str, ...]]] = {}
    name = None
    for line in lock.read_text().splitlines():
        if re.match(r"^[A-Za-z0-9]", line):
            name, _, rest = line.rstrip(" \\").partition("==")
            pins[name.lower()] = (rest.strip(), ())
        elif name and line.strip().startswith("--hash="):
            version, hashes = pins[name.lower()]
            pins[name.lower()] = (version, (*hashes, line.strip().rstrip(" \\")))
    return pins


def _inputs(requirements: Path) -> dict[str, str]:
    """``name -> pinned version`` of a requirements input file and the files it includes."""
    pins: dict[str, str] = {}
    for line in requirements.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line.startswith("-r "):
            pins.update(_inputs(requirements.parent / line[3:].strip()))
        elif "==" in line:
            name, version = line.split("==")
            pins[re.sub(r"\[.*\]", "", name).lower().replace("_", "-")] = version
    return pins


@pytest.mark.parametrize(
    ("inputs", "lock"),
    [
        ("requirements.txt", "requirements.lock"),
        ("requirements-chat.txt", "requirements-chat.lock"),
        ("requirements-dev.txt", "requirements-dev.lock"),
    ],
)
def test_every_lock_is_complete_hashed_and_follows_its_inputs(inputs: str, lock: str) -> None:
    pins = _pins(ROOT / lock)
    assert pins and all(hashes for _, hashes in pins.values()), f"{lock}: a pin without hashes"
    for name, version in _inputs(ROOT / inputs).items():
        assert name in pins, f"{lock} lacks {name} of {inputs}: run `make lock`"
        assert pins[name][0].split(" ")[0] == version, f"{lock}: {name} is not {version}"


def test_the_locks_agree_so_tests_and_package_run_the_same_versions() -> None:
    runtime = _pins(ROOT / "requirements.lock")
    chat = _pins(ROOT / "requirements-chat.lock")
    dev = _pins(ROOT / "requirements-dev.lock")
    assert all(chat[name] == pin for name, pin in runtime.items())
    assert all(dev[name] == pin for name, pin in chat.items())
    assert not any(";" in version for version, _ in runtime.values()), (
        "the runtime lock must not fork by platform or Python: pip evaluates markers on the "
        "build machine, not for Lambda"
    )


# ----------------------------------------------------------------------------- build, offline


def _fake_pip(built_for: Architecture, python_version: str = "3.12", *, padding: int = 0):
    """A stand-in for pip that 'installs' a tiny numpy whose native code is for ``built_for``
    (whatever was asked for), so :func:`build_package` runs without a package index."""
    tag = python_version.replace(".", "")

    def install(requirements: Path, target: Path, **kwargs: object) -> None:
        core = target / "numpy" / "_core"
        core.mkdir(parents=True)
        (target / "numpy" / "__init__.py").write_text("")
        so = core / f"_multiarray_umath.cpython-{tag}-{built_for.machine}-linux-gnu.so"
        so.write_bytes(_elf(built_for.elf_machine) + b"\0" * padding)
        (target / "bin").mkdir()
        (target / "bin" / "f2py").write_text("#!/build/machine/python\n")

    return install


@pytest.fixture
def host_compiler(monkeypatch: pytest.MonkeyPatch) -> None:
    """Offline builds compile with the interpreter running the tests (any version does for
    what they check); the target's bytecode is checked with ``target_python``."""
    monkeypatch.setattr(package, "require_target_python", lambda version: sys.executable)


@pytest.mark.usefixtures("host_compiler")
def test_build_package_writes_checked_artefacts_and_manifest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    requested: list[dict[str, object]] = []
    fake = _fake_pip(Architecture.ARM64)

    def recording_pip(requirements: Path, target: Path, **kwargs: object) -> None:
        requested.append(kwargs)
        fake(requirements, target, **kwargs)

    monkeypatch.setattr(package, "install_dependencies", recording_pip)
    report = package.build_package(tmp_path, arch=Architecture.ARM64, smoke=False)
    assert requested[0]["arch"] is Architecture.ARM64 and requested[0]["python_version"] == "3.12"
    assert report.smoke_tested_with is None
    layer_names = _names(report.layer.path)
    assert "python/numpy/__init__.py" in layer_names
    assert not any(name.startswith("python/bin/") for name in layer_names)
    manifest = json.loads((tmp_path / "package.json").read_text())
    assert manifest["architecture"] == "arm64" and manifest["runtime"] == "python3.12"
    requirements = (ROOT / "requirements.lock").read_bytes()
    assert manifest["requirements_sha256"] == hashlib.sha256(requirements).hexdigest()
    layer = manifest["artifacts"]["layer.zip"]
    assert layer["sha256"] == hashlib.sha256(report.layer.path.read_bytes()).hexdigest()
    assert layer["unzipped_bytes"] == report.layer.unzipped_bytes


@pytest.mark.usefixtures("host_compiler")
def test_build_refuses_native_code_for_another_architecture(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(package, "install_dependencies", _fake_pip(Architecture.X86_64))
    assert package.main(["--architecture", "arm64", "--out", str(tmp_path), "--no-smoke"]) == 1
    err = capsys.readouterr().err
    assert "FAILED" in err and "ELF machine 62" in err
    assert not (tmp_path / "package.json").exists()


@pytest.mark.usefixtures("host_compiler")
def test_build_fails_above_the_lambda_limits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(
        package, "install_dependencies", _fake_pip(Architecture.ARM64, padding=300_000)
    )
    monkeypatch.setattr(package, "MAX_UNZIPPED_BYTES", 200_000)
    assert package.main(["--out", str(tmp_path), "--no-smoke"]) == 1
    err = capsys.readouterr().err
    assert "FAILED" in err and "Lambda limit" in err
    assert not (tmp_path / "package.json").exists()


@pytest.mark.usefixtures("host_compiler")
def test_main_reports_sizes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(package, "install_dependencies", _fake_pip(Architecture.ARM64))
    assert package.main(["--out", str(tmp_path), "--no-smoke"]) == 0
    out = capsys.readouterr().out
    assert "function.zip:" in out and "layer.zip:" in out and "MB unzipped" in out
    assert "of 250 MB allowed" in out and "native code checked for arm64" in out
    assert f"bytecode compiled for CPython 3.12 by {sys.executable}" in out


# ----------------------------------------------------------------------------- import smoke test


def _zip_files(path: Path, files: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as handle:
        for name, text in files.items():
            handle.writestr(name, text)
    return path


@pytest.fixture
def fake_artefacts(tmp_path: Path) -> tuple[Path, Path]:
    """A function zip whose handler needs a module that only the layer zip provides."""
    function = _zip_files(
        tmp_path / "function.zip",
        {"lambda_function.py": "import layer_dep\n\ndef lambda_handler(e, c):\n    return e\n"},
    )
    layer = _zip_files(tmp_path / "layer.zip", {"python/layer_dep.py": "VALUE = 1\n"})
    return function, layer


def test_smoke_import_sees_only_the_unpacked_artefacts(fake_artefacts, tmp_path: Path) -> None:
    function, layer = fake_artefacts
    smoke = functools.partial(package.smoke_import, check_bytecode=False)
    assert smoke(function, layer, sys.executable, modules=["layer_dep"]) is None
    # Isolated: this interpreter's own site-packages (pytest, yaml...) are not importable.
    error = smoke(function, layer, sys.executable, modules=["yaml"])
    assert error is not None and "No module named 'yaml'" in error
    empty_layer = _zip_files(tmp_path / "empty.zip", {"python/other.py": ""})
    error = smoke(function, empty_layer, sys.executable, modules=[])
    assert error is not None and "No module named 'layer_dep'" in error


def test_smoke_import_fails_when_a_module_has_no_usable_bytecode(fake_artefacts, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """On Lambda's read-only file system a module without usable bytecode is compiled at every
    cold start; the smoke test sees Python write its pyc and says which."""
    function, layer = fake_artefacts
    error = package.smoke_import(function, layer, sys.executable, modules=["layer_dep"])
    assert error is not None and "compiled anew" in error
    assert f"lambda_function.{HOST_TAG}.pyc" in error and f"layer_dep.{HOST_TAG}.pyc" in error
    rebuilt = []
    for archive, root in ((function, artefacts.FUNCTION_ROOT), (layer, artefacts.LAYER_ROOT)):
        unpacked = tmp_path / f"unpacked-{archive.stem}"
        with zipfile.ZipFile(archive) as handle:
            handle.extractall(unpacked)
        entries = [
            artefacts.ZipEntry(path.relative_to(unpacked).as_posix(), path)
            for path in unpacked.rglob("*")
            if path.is_file()
        ]
        out = tmp_path / "compiled" / archive.name
        artefacts.write_package_zip(entries, out, interpreter=sys.executable, install_root=root)
        rebuilt.append(out)
    assert package.smoke_import(*rebuilt, sys.executable, modules=["layer_dep"]) is None


# ----------------------------------------------------------------------------- make package


def _built_package() -> tuple[Path, Path, Architecture, str]:
    """The artefacts of ``make package`` in ``build/``; skips when absent or stale."""
    manifest_path = BUILD / "package.json"
    if not manifest_path.is_file():
        pytest.skip("no build/package.json: run `make package` to check the real artefacts")
    manifest = json.loads(manifest_path.read_text())
    requirements = hashlib.sha256((ROOT / "requirements.lock").read_bytes()).hexdigest()
    if manifest.get("requirements_sha256") != requirements:
        pytest.skip("build/ was made from other requirements: run `make package` again")
    return (
        BUILD / "function.zip",
        BUILD / "layer.zip",
        Architecture(manifest["architecture"]),
        manifest["python"],
    )


def test_built_layer_matches_the_declared_runtime_and_architecture() -> None:
    _, layer, arch, python_version = _built_package()
    assert python_version == DEFAULT_PYTHON_VERSION  # the template's runtime
    assert verify_native_code(layer, arch, python_version) == []
    with zipfile.ZipFile(layer) as handle:
        names = handle.namelist()
        (wheel,) = [n for n in names if re.fullmatch(r"python/numpy-[^/]+\.dist-info/WHEEL", n)]
        tags = [
            line.removeprefix("Tag: ")
            for line in handle.read(wheel).decode().splitlines()
            if line.startswith("Tag: ")
        ]
    cp = "cp" + python_version.replace(".", "")
    assert tags and all(tag.startswith(f"{cp}-{cp}-manylinux") for tag in tags)
    assert all(tag.endswith(arch.machine) for tag in tags)
    assert not any(name.startswith("python/bin/") for name in names)


def test_lambda_function_imports_from_the_built_package(target_python: str) -> None:
    function, layer, arch, python_version = _built_package()
    machine = platform.machine().lower()
    if machine not in (arch.machine, arch.value):
        pytest.skip(
            f"build/ holds an {arch.value} package and this machine is {machine}: importing "
            f"needs a matching interpreter (`make package ARCH={machine}` builds one)"
        )
    assert python_version == DEFAULT_PYTHON_VERSION
    # Imports every module through its shipped bytecode (none compiled anew).
    assert package.smoke_import(function, layer, target_python) is None


def test_built_zips_carry_bytecode_for_every_module(target_python: str) -> None:
    function, layer, _, _ = _built_package()
    others = (package_publisher.ZIP_NAME, package_transitions.ZIP_NAME)
    for archive in (function, layer, *(BUILD / name for name in others)):
        if archive.is_file():
            assert _check_bytecode(archive, target_python) > 0


# ----------------------------------------------------------------------------- bytecode


@pytest.mark.parametrize(
    ("packager", "handler"),
    [
        (package_publisher, "publisher/handler.py"),
        (package_transitions, "transitions_aggregator/handler.py"),
    ],
    ids=["publisher", "transitions"],
)
def test_the_other_zips_carry_target_bytecode_and_are_reproducible(
    packager: Any, handler: str, tmp_path: Path, target_python: str
) -> None:
    first = packager.build(tmp_path / "a", interpreter=target_python)
    second = packager.build(tmp_path / "b", interpreter=target_python)
    assert first.read_bytes() == second.read_bytes()
    assert handler in _sources(first)
    assert _check_bytecode(first, target_python) > 0


#: Locked packages for the layer test: a native extension with Python modules (PyYAML), a
#: pure package (jmespath) and a single top-level module (typing_extensions).
LAYER_SAMPLE = ("pyyaml", "jmespath", "typing-extensions")


def _sample_lock(path: Path) -> Path:
    """The pins and hashes of ``LAYER_SAMPLE``, copied from requirements.lock."""
    lines = (ROOT / "requirements.lock").read_text().splitlines()
    kept, keep = [], False
    for line in lines:
        if re.match(r"^[A-Za-z0-9]", line):
            keep = line.split("==")[0].lower() in LAYER_SAMPLE
        elif not line.startswith(" "):
            keep = False
        if keep and not line.strip().startswith("#"):
            kept.append(line)
    path.write_text("\n".join(kept).rstrip(" \\") + "\n")
    assert sum(re.match(r"^[A-Za-z0-9]", line) is not None for line in kept) == len(LAYER_SAMPLE)
    return path


def test_layer_from_locked_wheels_carries_target_bytecode_and_is_reproducible(
    tmp_path: Path, target_python: str
) -> None:
    """Built twice from locked wheels (``--require-hashes``, as ``make package`` does) for
    arm64 on whatever machine runs the tests, the layer is byte-identical and every module
    has 3.12 bytecode.

    Not the whole lock: installing and compiling all of it twice takes minutes (about 6,000
    files; ``make package`` is checked for byte-identical output in docs/DEPLOY.md), while
    what could make two layer builds differ is the same for every wheel: pip's install
    (RECORD, metadata), the compiler and the zip writer. So a sample of the lock covering
    each kind of content (a native extension, packages, a top-level module) is downloaded
    once, then installed and archived twice offline, which takes seconds.
    """
    lock = _sample_lock(tmp_path / "sample.lock")
    wheels = tmp_path / "wheels"
    download = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check"]
    for tag in platform_tags(Architecture.ARM64):
        download += ["--platform", tag]
    download += ["--python-version", DEFAULT_PYTHON_VERSION, "--implementation", "cp"]
    download += ["--only-binary=:all:", "--dest", str(wheels), "-r", str(lock)]
    fetched = subprocess.run(download, capture_output=True, text=True, check=False)
    if fetched.returncode != 0:
        reason = f"cannot download the sample wheels from the package index:\n{fetched.stderr}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    layers = []
    for build in ("a", "b"):
        site = tmp_path / build / "site-packages"
        install_dependencies(
            lock,
            site,
            arch=Architecture.ARM64,
            extra_args=["--require-hashes", "--no-index", "--find-links", str(wheels)],
        )
        layers.append(
            build_layer_zip(site, tmp_path / build / "layer.zip", interpreter=target_python)
        )
    assert layers[0].path.read_bytes() == layers[1].path.read_bytes()
    names = _names(layers[0].path)
    assert "python/yaml/__init__.py" in names and "python/typing_extensions.py" in names
    assert any(
        re.fullmatch(r"python/yaml/_yaml\.cpython-312-aarch64-linux-gnu\.so", n) for n in names
    )
    assert _check_bytecode(layers[0].path, target_python) > 0


@pytest.mark.parametrize("setting", ["wrong version", "missing"])
def test_no_package_is_built_without_the_target_python(
    setting: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    installs: list[Path] = []
    monkeypatch.setattr(package, "install_dependencies", lambda r, t, **k: installs.append(t))
    if setting == "wrong version":
        monkeypatch.setenv("TARGET_PYTHON", sys.executable)  # 3.11 here
        expected = f"TARGET_PYTHON={sys.executable} is {HOST_TAG}"
    else:
        monkeypatch.delenv("TARGET_PYTHON", raising=False)
        monkeypatch.setenv("PATH", str(tmp_path))  # no python3.12
        monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "no-pyenv"))
        expected = "no CPython 3.12 found"
    if sys.implementation.cache_tag == "cpython-312" and setting == "wrong version":
        pytest.skip("the tests run on 3.12: it is the target version")
    assert package.main(["--out", str(tmp_path), "--no-smoke"]) == 1
    assert expected in capsys.readouterr().err
    assert installs == [] and not (tmp_path / "package.json").exists()  # stopped before pip
    for packager in (package_publisher, package_transitions):
        with pytest.raises(PackageError, match=re.escape(expected)):
            packager.build(tmp_path)
        assert not (tmp_path / packager.ZIP_NAME).exists()


def test_target_python_comes_from_the_environment_first(
    target_python: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TARGET_PYTHON", target_python)
    monkeypatch.setenv("PATH", "/nonexistent")
    assert artefacts.require_target_python(DEFAULT_PYTHON_VERSION) == target_python


def test_a_module_that_does_not_compile_stops_the_build(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.py", tmp_path / "bad.py"
    good.write_text("x = 1\n")
    bad.write_text("def broken(:\n")
    entries = [artefacts.ZipEntry("pkg/good.py", good), artefacts.ZipEntry("pkg/bad.py", bad)]
    with pytest.raises(PackageError, match=r"/var/task/pkg/bad\.py"):
        artefacts.write_package_zip(
            entries, tmp_path / "out.zip", interpreter=sys.executable, install_root="/var/task"
        )
    assert not (tmp_path / "out.zip").exists()
