"""pip install --no-build-isolation .  (into a venv made with --system-site-packages)

Drives CMake (no scikit-build-core on Debian): configures this tree in build-pip/
(GRADFLOW_SETUP_TREE overrides) with the interpreter pip runs, builds only the Python module (gradflow_python) and places it,
the pure-Python package (python/gradflow) and the library's resources (data/, plots/,
recipes/ as gradflow/share) into the wheel. CMAKE_ARGS adds configure options;
GRADFLOW_JOBS sets the build's parallelism (default 2).
"""
import os
import re
import shlex
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
os.makedirs(os.path.join(HERE, "build-pip"), exist_ok=True)  # egg_base and build_base below


def version():
    with open(os.path.join(HERE, "CMakeLists.txt")) as f:
        return re.search(r"project\(gradflow VERSION ([0-9.]+)", f.read()).group(1)


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        # A fixed tree beside build/ (same depth): ccache then hits on the objects of build/.
        tree = os.environ.get("GRADFLOW_SETUP_TREE", os.path.join(HERE, "build-pip"))
        configure = ["cmake", "-S", HERE, "-B", tree, "-DCMAKE_BUILD_TYPE=Release", "-DGRADFLOW_PYTHON=ON",
                     "-DGRADFLOW_BUILD_TESTS=OFF", f"-DPython3_EXECUTABLE={sys.executable}"]
        configure += shlex.split(os.environ.get("CMAKE_ARGS", ""))
        subprocess.run(configure, check=True)
        jobs = os.environ.get("GRADFLOW_JOBS", "2")
        subprocess.run(["cmake", "--build", tree, "--target", "gradflow_python", "-j", jobs], check=True)

        target = self.get_ext_fullpath(ext.name)
        package = os.path.dirname(target)
        os.makedirs(package, exist_ok=True)
        built = os.path.join(tree, "python", "gradflow")
        module = [f for f in os.listdir(built) if f.startswith("_core") and f.endswith(".so")]
        if len(module) != 1:
            raise RuntimeError(f"expected one _core*.so in {built}, found {module}")
        shutil.copyfile(os.path.join(built, module[0]), target)
        share = os.path.join(package, "share")
        shutil.rmtree(share, ignore_errors=True)
        shutil.copytree(os.path.join(tree, "share", "gradflow"), share)


setup(
    name="gradflow",
    version=version(),
    description="Continuous-time analysis of gradient methods training neural networks",
    packages=["gradflow"],
    package_dir={"gradflow": "python/gradflow"},
    ext_modules=[Extension("gradflow._core", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    python_requires=">=3.9",
    install_requires=["numpy"],
    zip_safe=False,
    options={"build": {"build_base": "build-pip/setuptools"}, "egg_info": {"egg_base": "build-pip"}},
)
