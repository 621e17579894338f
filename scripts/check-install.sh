#!/usr/bin/env bash
# Checks that gradflow installs and can be used by another project: installs a build tree
# into a temporary prefix, runs the installed CLI (which must find its installed resources),
# then configures examples/ as a standalone project against the installed package
# (find_package(gradflow) via CMAKE_PREFIX_PATH), builds it and runs every example.
#
#   scripts/check-install.sh                  use build/ as it is (already built)
#   scripts/check-install.sh DIR              configure DIR if needed, build it, then check
#   scripts/check-install.sh --no-build DIR   use DIR as it is (what `ctest -L install` runs)
#
# The build tree is only installed from (cmake --install); everything else happens in a
# temporary folder that is removed afterwards (KEEP=1 keeps it). JOBS sets the parallel
# build of the examples (default 2).
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build_it=0
if [[ ${1:-} == --no-build ]]; then
  shift
  build=${1:?usage: check-install.sh --no-build BUILD_DIR}
elif [[ $# -ge 1 ]]; then
  build=$1
  build_it=1
else
  build=$src/build
fi
jobs=${JOBS:-2}

if [[ $build_it == 1 ]]; then
  if [[ ! -f $build/CMakeCache.txt ]]; then
    cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release
  fi
  cmake --build "$build" -j "$jobs"
fi
[[ -f $build/CMakeCache.txt ]] || { echo "check-install: $build is not a configured build tree" >&2; exit 1; }
build=$(cd "$build" && pwd)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gradflow-install.XXXXXX")
if [[ ${KEEP:-0} == 1 ]]; then
  echo "check-install: keeping $tmp"
else
  trap 'rm -rf "$tmp"' EXIT
fi
prefix=$tmp/prefix

echo "== install $build -> $prefix"
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log"
for f in bin/gradflow include/gradflow/gradflow.hpp lib/cmake/gradflow/gradflowConfig.cmake \
         lib/cmake/gradflow/gradflowConfigVersion.cmake share/gradflow/data share/gradflow/plots \
         share/gradflow/recipes; do
  [[ -e $prefix/$f ]] || { echo "check-install: $f was not installed" >&2; exit 1; }
done
ls "$prefix"/lib*/libgradflow.a >/dev/null

echo "== installed CLI finds its resources ($prefix/share/gradflow)"
(cd "$tmp" && env -u GRADFLOW_SHARE "$prefix/bin/gradflow" reproduce --list >"$tmp/recipes.txt")
grep -q '^du2019 ' "$tmp/recipes.txt" || { echo "check-install: 'gradflow reproduce --list' lists no recipes" >&2; exit 1; }
echo "$(wc -l <"$tmp/recipes.txt") recipes listed"

echo "== configure examples/ against the installed package"
cxx=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt")
cmake -S "$src/examples" -B "$tmp/examples" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF ${cxx:+-DCMAKE_CXX_COMPILER="$cxx"} >"$tmp/configure.log" ||
  { cat "$tmp/configure.log" >&2; exit 1; }
grep 'gradflow .* from ' "$tmp/configure.log"
found=$(sed -n 's/^gradflow_DIR:PATH=//p' "$tmp/examples/CMakeCache.txt")
[[ $found == "$prefix"/* ]] || { echo "check-install: found gradflow in $found, not in $prefix" >&2; exit 1; }

echo "== build examples (-j$jobs)"
cmake --build "$tmp/examples" -j "$jobs" >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log" >&2; exit 1; }
if grep -q 'warning:' "$tmp/build.log"; then grep -A3 'warning:' "$tmp/build.log"; fi

status=0
for example in own_main_flow user_observer user_model user_flow; do
  echo "== run $example"
  if (cd "$tmp" && env -u GRADFLOW_SHARE "$tmp/examples/$example"); then
    echo "-- $example: ok"
  else
    echo "-- $example: FAILED (exit $?)" >&2
    status=1
  fi
done
[[ $status == 0 ]] && echo "check-install: all examples built against the installed package and passed"
exit $status
