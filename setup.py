"""Builds digitnet._core with the project's CMake (the target digitnet_python) for `pip install .`.

The CMake build goes to build-pip/cmake (configured once, then incremental); setuptools' own
files to build-pip/ too, away from the developer's build/. Environment:
  DIGITNET_CMAKE_ARGS   extra configure arguments, e.g. "-DDIGITNET_CUDA=OFF"
  DIGITNET_BUILD_JOBS   parallel build jobs (default 2)
The embedded data set data/digits20.mat goes into the package, so digitnet.load_data() works
from an installed package too.
"""
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py

SOURCE = Path(__file__).resolve().parent
BUILD = SOURCE / "build-pip"
BUILD.mkdir(exist_ok=True)


class CMakeExtension(Extension):
    def __init__(self, name):
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        cmake_build = BUILD / "cmake"
        configure = ["cmake", "-S", str(SOURCE), "-B", str(cmake_build), "-DCMAKE_BUILD_TYPE=Release",
                     "-DDIGITNET_TESTS=OFF", "-DDIGITNET_BENCH=OFF", "-DDIGITNET_PYTHON=ON",
                     f"-DPython3_EXECUTABLE={sys.executable}"]
        configure += shlex.split(os.environ.get("DIGITNET_CMAKE_ARGS", ""))
        if shutil.which("nvcc") is None and Path("/usr/local/cuda/bin/nvcc").exists():
            os.environ["PATH"] = "/usr/local/cuda/bin:" + os.environ["PATH"]
        subprocess.run(configure, check=True)
        jobs = os.environ.get("DIGITNET_BUILD_JOBS", "2")
        subprocess.run(["cmake", "--build", str(cmake_build), "--target", "digitnet_python", "-j", jobs], check=True)
        built = list((cmake_build / "python" / "digitnet").glob("_core*.so"))
        if len(built) != 1:
            raise RuntimeError(f"expected one digitnet/_core*.so in {cmake_build}/python, found {built}")
        target = Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built[0], target)


class BuildPyWithData(build_py):
    def run(self):
        super().run()
        data = Path(self.build_lib) / "digitnet" / "data"
        data.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SOURCE / "data" / "digits20.mat", data / "digits20.mat")


setup(
    ext_modules=[CMakeExtension("digitnet._core")],
    cmdclass={"build_ext": CMakeBuild, "build_py": BuildPyWithData},
    options={"build": {"build_base": str(BUILD)}, "egg_info": {"egg_base": str(BUILD)}},
)
