"""`pip install ./python`: builds libPlexusC.so with the Swift toolchain (swift build -c release
--product PlexusC, in the repository this folder belongs to) and puts it inside the package."""
import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

ROOT = Path(__file__).resolve().parent.parent


class BuildWithLibrary(build_py):
    def run(self):
        if shutil.which("swift") is None:
            raise SystemExit("plexus: building the package needs the Swift toolchain (swift) on the PATH")
        command = ["swift", "build", "-c", "release", "--product", "PlexusC"]
        subprocess.check_call(command, cwd=ROOT)
        bin_path = subprocess.check_output(command + ["--show-bin-path"], cwd=ROOT, text=True).strip()
        super().run()
        target = Path(self.build_lib) / "plexus"
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(Path(bin_path) / "libPlexusC.so", target / "libPlexusC.so")


class BinaryDistribution(Distribution):
    """The wheel holds a native library: tag it for this platform, not as pure Python."""

    def has_ext_modules(self):
        return True


setup(cmdclass={"build_py": BuildWithLibrary}, distclass=BinaryDistribution)
