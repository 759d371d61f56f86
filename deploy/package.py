"""Build the Lambda deployment package without Docker: ``build/function.zip`` + ``build/layer.zip``.

* ``function.zip`` holds our code only: ``lambda_function.py``, ``lex_bot/`` and
  ``knowledge_graph/`` (the lesson graph itself comes from EFS or S3 at run time), and only
  files git tracks (``git ls-files``): an untracked ``credentials.json``, ``.env`` file or
  local ``progress.db`` in the working tree is never shipped, and a tracked symlink that
  points outside the repository stops the build.
* ``layer.zip`` holds the third-party dependencies of ``requirements.lock`` (every package,
  pinned with its hashes, see the README) under ``python/``, installed by pip for the
  *target* platform (``manylinux`` wheels for the Lambda architecture and Python version,
  never the build machine's), so a laptop on x86_64 builds a correct arm64 package.
* Both archives carry the bytecode of every ``.py`` for the runtime's Python (compiled by a
  local CPython 3.12, which the build requires: ``$TARGET_PYTHON``, ``python3.12`` on
  ``PATH`` or pyenv's) and are reproducible: sorted entries, fixed timestamps (1980-01-01),
  fixed permissions, unchecked-hash pycs, no ``tests``; the same inputs give byte-identical
  zips (``deploy/artefacts.py``, shared by every package of the stack). Compiling for 3.12
  needs no machine of the target architecture: bytecode does not depend on it.
* The build fails (exit 1) above the Lambda limits or when a native extension in the layer is
  built for the wrong architecture or Python version, and on a machine of the target
  architecture it imports ``lambda_function`` from the unpacked artefacts with that CPython,
  checking that no module had to be compiled anew.

boto3/botocore are packaged too, although the Lambda runtime has its own: the lock pins them
(botocore included) to exactly the versions the tests ran with (``make test`` installs the
same lock), where the runtime's copy lags and changes without notice. It costs about 25 MB
unzipped, well within the limits.

Example
-------
>>> platform_tags(Architecture.ARM64)[:2]
['manylinux_2_34_aarch64', 'manylinux_2_33_aarch64']
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import platform
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path, PurePosixPath

from deploy.artefacts import (
    FUNCTION_ROOT,
    LAYER_ROOT,
    ArtifactStats,
    PackageError,
    ZipEntry,
    require_target_python,
    write_package_zip,
)

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent


class Architecture(StrEnum):
    """Lambda instruction set architectures (the template's ``Architecture`` parameter)."""

    ARM64 = "arm64"
    X86_64 = "x86_64"

    @property
    def machine(self) -> str:
        """The ``uname -m`` / wheel-tag spelling (``aarch64`` or ``x86_64``)."""
        return "aarch64" if self is Architecture.ARM64 else "x86_64"

    @property
    def elf_machine(self) -> int:
        """The ELF ``e_machine`` value of native code for this architecture."""
        return 183 if self is Architecture.ARM64 else 62


#: What ``make package`` builds by default; must equal the template's ``Architecture`` default.
DEFAULT_ARCHITECTURE = Architecture.ARM64
#: The Python version of the Lambda runtime; must match the template's ``Runtime``.
DEFAULT_PYTHON_VERSION = "3.12"
#: glibc of the Lambda python3.12+ runtimes (Amazon Linux 2023) and the manylinux floor.
LAMBDA_GLIBC_MINOR = 34
MANYLINUX_FLOOR_MINOR = 17
#: Our code that goes into function.zip (relative to the repository root).
FUNCTION_SOURCES = ("lambda_function.py", "lex_bot", "knowledge_graph")
#: Parts of FUNCTION_SOURCES the Lambda never imports: developer tools and authoring
#: commands (they need rich, matplotlib or the test tooling). A test checks that every module
#: left in the zip imports only modules that are in it or in the runtime requirements.
FUNCTION_EXCLUDED = (
    "lex_bot/__main__.py",
    "lex_bot/devtools",
    "lex_bot/lesson_app/bot_definition.yaml",
    "lex_bot/lesson_app/slot_values.json",
    "knowledge_graph/__main__.py",
    "knowledge_graph/cli.py",
    "knowledge_graph/diff.py",
    "knowledge_graph/render.py",
    "knowledge_graph/stats.py",
    "knowledge_graph/examples.py",
    "knowledge_graph/fonts.py",
    "knowledge_graph/explore.py",
    "knowledge_graph/explorer",
)
#: Lambda quotas (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html):
#: 50 MB for a zip uploaded directly (larger ones go through S3, as ``sam deploy`` always
#: does), 250 MB unzipped for a function and its layers together (the binding limit).
MAX_ZIPPED_BYTES = 50 * 1024 * 1024
MAX_UNZIPPED_BYTES = 250 * 1024 * 1024
EXCLUDED_DIRS = frozenset({"__pycache__", "tests", "test"})
EXCLUDED_SUFFIXES = (".pyc", ".pyo", "~", ".swp", ".tmp")
#: Top-level entries of a ``pip --target`` directory that are not importable code (console
#: scripts carry the build machine's interpreter path and would break reproducibility).
EXCLUDED_LAYER_TOP = frozenset({"bin"})
#: Imported by the smoke test after ``lambda_function`` (the native and heavy dependencies).
SMOKE_IMPORTS = ("numpy", "networkx", "pydantic", "yaml", "boto3", "aws_xray_sdk")


def platform_tags(arch: Architecture) -> list[str]:
    """Return the wheel platform tags the Lambda runtime accepts, newest glibc first.

    pip does not expand ``manylinux_2_X`` to older glibc versions by itself, so every tag
    from the runtime's glibc down to manylinux2014 (glibc 2.17) is listed.

    Example
    -------
    >>> platform_tags(Architecture.X86_64)[-1]
    'manylinux2014_x86_64'
    """
    tags = [
        f"manylinux_2_{minor}_{arch.machine}"
        for minor in range(LAMBDA_GLIBC_MINOR, MANYLINUX_FLOOR_MINOR - 1, -1)
    ]
    return [*tags, f"manylinux2014_{arch.machine}"]


def pip_install_command(
    requirements: Path,
    target: Path,
    *,
    arch: Architecture,
    python_version: str,
    extra_args: Sequence[str] = (),
) -> list[str]:
    """Return the pip command installing ``requirements`` for the Lambda platform into ``target``.

    Example
    -------
    >>> cmd = pip_install_command(Path("r.txt"), Path("t"), arch=Architecture.ARM64,
    ...                           python_version="3.12")
    >>> cmd[cmd.index("--python-version") + 1], "--only-binary=:all:" in cmd
    ('3.12', True)
    """
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    for tag in platform_tags(arch):
        command += ["--platform", tag]
    command += [
        "--python-version",
        python_version,
        "--implementation",
        "cp",
        "--only-binary=:all:",
        "--no-compile",
        "--target",
        str(target),
        "-r",
        str(requirements),
        *extra_args,
    ]
    return command


def install_dependencies(
    requirements: Path,
    target: Path,
    *,
    arch: Architecture = DEFAULT_ARCHITECTURE,
    python_version: str = DEFAULT_PYTHON_VERSION,
    extra_args: Sequence[str] = (),
) -> None:
    """Run pip to install ``requirements`` for the Lambda platform into ``target``.

    Raises
    ------
    PackageError
        When pip fails (its output is included).
    """
    command = pip_install_command(
        requirements, target, arch=arch, python_version=python_version, extra_args=extra_args
    )
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise PackageError(f"pip install failed:\n{result.stdout}{result.stderr}")


def is_excluded(relative: PurePosixPath) -> bool:
    """True for files that never go into an archive (caches, tests, editor leftovers).

    Example
    -------
    >>> is_excluded(PurePosixPath("numpy/_core/tests/test_api.py"))
    True
    >>> is_excluded(PurePosixPath("numpy/testing/__init__.py"))
    False
    """
    if any(part in EXCLUDED_DIRS or part.startswith(".") for part in relative.parts):
        return True
    return relative.name.endswith(EXCLUDED_SUFFIXES)


def collect_files(
    root: Path, names: Iterable[str] | None = None, *, prefix: str = ""
) -> list[ZipEntry]:
    """Return the archive entries for files under ``root``, sorted by archive name.

    Parameters
    ----------
    root : Path
        The directory the archive names are relative to.
    names : iterable of str, optional
        Files or directories under ``root`` to include; everything in ``root`` by default.
    prefix : str
        Prepended to every archive name (``"python/"`` for a layer).
    """
    entries: list[ZipEntry] = []
    tops = sorted(names) if names is not None else sorted(p.name for p in root.iterdir())
    for top in tops:
        path = root / top
        if not path.exists():
            raise PackageError(f"{path}: missing")
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        for file in files:
            relative = PurePosixPath(file.relative_to(root).as_posix())
            if not is_excluded(relative):
                entries.append(ZipEntry(prefix + str(relative), file))
    return sorted(entries, key=lambda entry: entry.arcname)


def is_shipped(arcname: str) -> bool:
    """False for the developer and authoring parts of our code (``FUNCTION_EXCLUDED``).

    Example
    -------
    >>> is_shipped("lex_bot/devtools/local_chat.py"), is_shipped("lex_bot/lexv2/router.py")
    (False, True)
    """
    return not any(
        arcname == excluded or arcname.startswith(excluded + "/") for excluded in FUNCTION_EXCLUDED
    )


def tracked_files(root: Path, names: Iterable[str]) -> list[ZipEntry]:
    """Archive entries for the files git tracks under ``names`` (nothing untracked).

    Raises
    ------
    PackageError
        When ``root`` is not a git work tree, a tracked file is missing, or a tracked
        symlink resolves outside ``root``.
    """
    try:
        listing = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-z", "--cached", "--", *names],
            capture_output=True,
            check=True,
        ).stdout.decode("utf-8")
    except (OSError, subprocess.CalledProcessError) as exc:
        raise PackageError(
            f"{root}: cannot list the files git tracks ({exc}); package from a git clone"
        ) from exc
    tree = root.resolve()
    entries: list[ZipEntry] = []
    for name in filter(None, listing.split("\0")):
        path = root / name
        if path.is_symlink() and not path.resolve().is_relative_to(tree):
            raise PackageError(f"{name}: symlink to {path.resolve()} leaves the repository")
        if not path.is_file():
            raise PackageError(f"{name}: tracked by git but missing from the working tree")
        relative = PurePosixPath(name)
        if not is_excluded(relative):
            entries.append(ZipEntry(str(relative), path))
    return sorted(entries, key=lambda entry: entry.arcname)


def build_function_zip(out: Path, root: Path = REPO_ROOT, *, interpreter: str) -> ArtifactStats:
    """Archive our runtime code (the tracked files of ``FUNCTION_SOURCES`` less
    ``FUNCTION_EXCLUDED``) and its bytecode, compiled by ``interpreter``, into ``out``."""
    entries = [e for e in tracked_files(root, FUNCTION_SOURCES) if is_shipped(e.arcname)]
    if not entries:
        raise PackageError(f"{root}: git tracks none of {', '.join(FUNCTION_SOURCES)}")
    return write_package_zip(entries, out, interpreter=interpreter, install_root=FUNCTION_ROOT)


def build_layer_zip(site_packages: Path, out: Path, *, interpreter: str) -> ArtifactStats:
    """Archive an installed dependency tree and its bytecode, compiled by ``interpreter``,
    into ``out`` under the ``python/`` prefix (Lambda puts ``/opt/python`` on the path)."""
    names = [p.name for p in site_packages.iterdir() if p.name not in EXCLUDED_LAYER_TOP]
    entries = collect_files(site_packages, names, prefix="python/")
    return write_package_zip(entries, out, interpreter=interpreter, install_root=LAYER_ROOT)


def check_limits(artifacts: Sequence[ArtifactStats]) -> list[str]:
    """Return the Lambda quota violations of a function zip and its layers (empty when fine):
    together they must unzip to at most 250 MB, however they are uploaded.

    Example
    -------
    >>> check_limits([ArtifactStats(Path("f.zip"), 1, 1, 260 * 1024 * 1024)])[0][:36]
    'function + layers unzip to 260.0 MB,'
    """
    mb = 1024 * 1024
    total = sum(a.unzipped_bytes for a in artifacts)
    if total > MAX_UNZIPPED_BYTES:
        return [
            f"function + layers unzip to {total / mb:.1f} MB, above the "
            f"{MAX_UNZIPPED_BYTES / mb:.0f} MB Lambda limit"
        ]
    return []


def upload_notes(artifacts: Sequence[ArtifactStats]) -> list[str]:
    """Say which zips are above the 50 MB Lambda accepts in a direct upload: those must be
    deployed through S3 (``sam deploy --resolve-s3`` and the CI workflow do; the console's
    and ``aws lambda update-function-code --zip-file``'s direct upload would refuse them).

    Example
    -------
    >>> upload_notes([ArtifactStats(Path("l.zip"), 1, 60 * 1024 * 1024, 1)])[0][:28]
    'l.zip: 60.0 MB zipped, above'
    """
    mb = 1024 * 1024
    return [
        f"{a.path}: {a.zipped_bytes / mb:.1f} MB zipped, above the {MAX_ZIPPED_BYTES / mb:.0f} "
        "MB of a direct upload: deploy it through S3 (sam deploy --resolve-s3 does)"
        for a in artifacts
        if a.zipped_bytes > MAX_ZIPPED_BYTES
    ]


def extension_suffix(arch: Architecture, python_version: str) -> str:
    """The file suffix of native extension modules for the target, e.g.
    ``.cpython-312-aarch64-linux-gnu.so``.

    Example
    -------
    >>> extension_suffix(Architecture.ARM64, "3.12")
    '.cpython-312-aarch64-linux-gnu.so'
    """
    return f".cpython-{python_version.replace('.', '')}-{arch.machine}-linux-gnu.so"


def _elf_machine(header: bytes) -> int | None:
    """The ``e_machine`` of an ELF header, or None when ``header`` is not ELF."""
    if len(header) < 20 or header[:4] != b"\x7fELF":
        return None
    byteorder = "little" if header[5] == 1 else "big"
    return int.from_bytes(header[18:20], byteorder)


def verify_native_code(layer_zip: Path, arch: Architecture, python_version: str) -> list[str]:
    """Return problems with the native code of a layer (empty when it suits the target).

    Every shared object must be ELF for ``arch``; every CPython extension must carry the
    target's ``cpython-3XY-<machine>-linux-gnu`` tag (or be ``abi3``); numpy's core extension
    must be present.
    """
    suffix = extension_suffix(arch, python_version)
    problems: list[str] = []
    found_numpy_core = False
    with zipfile.ZipFile(layer_zip) as archive:
        for name in archive.namelist():
            base = name.rsplit("/", 1)[-1]
            if ".so" not in base:
                continue
            if base.startswith("_multiarray_umath.") and name.endswith(suffix):
                found_numpy_core = True
            if ".cpython-" in base and not base.endswith(suffix):
                problems.append(f"{name}: extension is not for {suffix}")
            with archive.open(name) as handle:
                machine = _elf_machine(handle.read(20))
            if machine is not None and machine != arch.elf_machine:
                problems.append(f"{name}: ELF machine {machine}, expected {arch.elf_machine}")
    if not found_numpy_core:
        problems.append(f"{layer_zip}: numpy/_core/_multiarray_umath{suffix} missing")
    return problems


def smoke_import(
    function_zip: Path,
    layer_zip: Path,
    interpreter: str,
    modules: Sequence[str] = SMOKE_IMPORTS,
    *,
    check_bytecode: bool = True,
) -> str | None:
    """Unpack both archives and import ``lambda_function`` with ``interpreter`` in isolation.

    The archives are unpacked as Lambda does (function in the task root, layer under
    ``/opt``, whose ``python/`` folder is on the path). The interpreter runs with ``-I -S``
    (no site-packages, no user paths), so only the archives' contents are importable. After
    ``lambda_function`` (whose ``lambda_handler`` must be callable; ``AWS_LAMBDA_FUNCTION_NAME``
    is set, so the handler is wrapped in the X-Ray tracer as on Lambda), ``modules`` are
    imported.
    With ``check_bytecode``, importing must not write any ``.pyc``: Python writes one only
    for a module whose shipped bytecode is missing or unusable (which on Lambda's read-only
    file system means compiling it at every cold start).

    Returns
    -------
    None on success, else the interpreter's error output (or the modules compiled anew).

    Example
    -------
    >>> smoke_import(Path("build/function.zip"), Path("build/layer.zip"),
    ...              "python3.12")  # doctest: +SKIP
    """
    with tempfile.TemporaryDirectory(prefix="lessonbot-smoke-") as tmp:
        task, opt = Path(tmp) / "task", Path(tmp) / "opt"
        with zipfile.ZipFile(function_zip) as archive:
            archive.extractall(task)
        with zipfile.ZipFile(layer_zip) as archive:
            archive.extractall(opt)
        shipped = set(Path(tmp).rglob("*.pyc"))
        code = (
            "import importlib, sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]; "
            "import lambda_function; assert callable(lambda_function.lambda_handler); "
            "[importlib.import_module(name) for name in sys.argv[3:]]"
        )
        result = subprocess.run(
            [interpreter, "-I", "-S", "-c", code, str(task), str(opt / "python"), *modules],
            capture_output=True,
            text=True,
            check=False,
            cwd=tmp,
            env={
                "PATH": os.environ.get("PATH", ""),
                "AWS_DEFAULT_REGION": "us-east-1",
                # As on Lambda with active tracing: lambda_function wraps its handler in
                # Powertools Tracer, which needs aws-xray-sdk from the layer.
                "AWS_LAMBDA_FUNCTION_NAME": "lessonbot-smoke-test",
            },
        )
        if result.returncode != 0:
            return result.stdout + result.stderr
        written = sorted(str(p.relative_to(tmp)) for p in set(Path(tmp).rglob("*.pyc")) - shipped)
        if check_bytecode and written:
            return "imported without usable shipped bytecode (compiled anew):\n" + "\n".join(
                written
            )
        return None


@dataclass(frozen=True)
class PackageReport:
    """What :func:`build_package` produced."""

    function: ArtifactStats
    layer: ArtifactStats
    #: The CPython that compiled the bytecode (the runtime's version).
    compiled_with: str
    smoke_tested_with: str | None


def write_manifest(
    out: Path,
    arch: Architecture,
    python_version: str,
    artifacts: Sequence[ArtifactStats],
    requirements: Path | None = None,
) -> Path:
    """Write ``package.json`` next to the zips: what they were built for, and their hashes.

    Operators check it against the stack's ``Architecture``; tests check the layer against it
    (and skip it when ``requirements_sha256`` says it was built from other requirements).
    """
    manifest = {
        "architecture": arch.value,
        "python": python_version,
        "runtime": f"python{python_version}",
        "requirements_sha256": (
            hashlib.sha256(requirements.read_bytes()).hexdigest() if requirements else None
        ),
        "artifacts": {
            a.path.name: {
                "sha256": hashlib.sha256(a.path.read_bytes()).hexdigest(),
                "zipped_bytes": a.zipped_bytes,
                "unzipped_bytes": a.unzipped_bytes,
                "files": a.files,
            }
            for a in artifacts
        },
    }
    out.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return out


def build_package(
    out_dir: Path,
    *,
    arch: Architecture = DEFAULT_ARCHITECTURE,
    python_version: str = DEFAULT_PYTHON_VERSION,
    requirements: Path = REPO_ROOT / "requirements.lock",
    root: Path = REPO_ROOT,
    pip_args: Sequence[str] = (),
    smoke: bool = True,
) -> PackageReport:
    """Build ``function.zip`` and ``layer.zip`` into ``out_dir`` and check them.

    Raises
    ------
    PackageError
        On a pip failure, a Lambda limit exceeded, wrong native code, or a failed import.

    Example
    -------
    >>> report = build_package(Path("build"))  # doctest: +SKIP
    >>> report.layer.describe()  # doctest: +SKIP
    'build/layer.zip: 3012 files, 31.2 MB zipped, 109.0 MB unzipped'
    """
    (out_dir / "package.json").unlink(missing_ok=True)  # only a successful build has one
    interpreter = require_target_python(python_version)  # before the download, fail early
    with tempfile.TemporaryDirectory(prefix="lessonbot-layer-") as tmp:
        site_packages = Path(tmp) / "site-packages"
        install_dependencies(
            requirements,
            site_packages,
            arch=arch,
            python_version=python_version,
            extra_args=pip_args,
        )
        layer = build_layer_zip(site_packages, out_dir / "layer.zip", interpreter=interpreter)
    function = build_function_zip(out_dir / "function.zip", root, interpreter=interpreter)
    problems = check_limits([function, layer])
    problems += verify_native_code(layer.path, arch, python_version)
    if problems:
        raise PackageError("\n".join(problems))
    write_manifest(out_dir / "package.json", arch, python_version, [function, layer], requirements)
    tested_with = None
    if smoke and platform.machine().lower() in (arch.machine, arch.value):
        error = smoke_import(function.path, layer.path, interpreter)
        if error is not None:
            raise PackageError(f"importing lambda_function from the package failed:\n{error}")
        tested_with = interpreter
    return PackageReport(function, layer, interpreter, tested_with)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m deploy.package [--architecture arm64] [--out build]``."""
    parser = argparse.ArgumentParser(prog="python -m deploy.package", description=__doc__)
    parser.add_argument(
        "--architecture",
        choices=[a.value for a in Architecture],
        default=DEFAULT_ARCHITECTURE.value,
        help="Lambda architecture (the template's Architecture parameter); default %(default)s",
    )
    parser.add_argument("--python-version", default=DEFAULT_PYTHON_VERSION)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "build")
    parser.add_argument(
        "--requirements",
        type=Path,
        default=REPO_ROOT / "requirements.lock",
        help="the runtime lock file (hashes required); default %(default)s",
    )
    parser.add_argument("--no-smoke", action="store_true", help="skip the import smoke test")
    args = parser.parse_args(argv)
    arch = Architecture(args.architecture)
    try:
        report = build_package(
            args.out,
            arch=arch,
            python_version=args.python_version,
            requirements=args.requirements,
            smoke=not args.no_smoke,
        )
    except PackageError as exc:
        print(f"package: FAILED\n{exc}", file=sys.stderr)
        return 1
    print(report.function.describe())
    print(report.layer.describe())
    total = (report.function.unzipped_bytes + report.layer.unzipped_bytes) / (1024 * 1024)
    print(f"total unzipped {total:.1f} MB of {MAX_UNZIPPED_BYTES // (1024 * 1024)} MB allowed")
    for note in upload_notes([report.function, report.layer]):
        print(note)
    print(f"native code checked for {arch.value} / CPython {args.python_version}")
    print(f"bytecode compiled for CPython {args.python_version} by {report.compiled_with}")
    if report.smoke_tested_with:
        print(f"imported lambda_function from the package with {report.smoke_tested_with}")
    elif args.no_smoke:
        print("import smoke test skipped (--no-smoke)")
    else:
        print(
            f"import smoke test skipped: it needs an {arch.machine} machine; this is "
            f"{platform.machine()} (the native-code check above still ran)"
        )
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
