#!/usr/bin/env bash
# run.sh — use racelab the way a project outside the repository does (ctest: install).
#
#  1. `cmake --install` the build under test into a temporary prefix; check
#     what is there (public headers only, the library, racelab, racelab.pc,
#     the CMake package) and that `racelab --version` is the project's.
#  2. pkg-config: build examples/ with examples/Makefile, plus tests/install's
#     fast_paths.c (C11) and cxx_smoke.cpp (C++17); run them all.
#  3. find_package: configure examples/ as a project of its own against the
#     prefix (CMAKE_PREFIX_PATH), build, run.
#  4. Shared: configure racelab as the build under test but with
#     BUILD_SHARED_LIBS=ON, in a temporary directory; build only the library,
#     install it; check the soname and the exports (nm -D), then 2 and 3 again
#     against libracelab.so.
#
# Environment (set by tests/install/CMakeLists.txt): RL_SRC, RL_BUILD,
# RL_VERSION, CMAKE, RL_GENERATOR, RL_MAKE_PROGRAM, CC, CXX, RL_BUILD_TYPE,
# RL_SANITIZER, RL_WERROR, RL_TESTS_DIR.
set -euo pipefail

: "${RL_SRC:?}" "${RL_BUILD:?}" "${RL_VERSION:?}" "${CMAKE:?}" "${CC:?}" "${RL_TESTS_DIR:?}"
CXX=${CXX:-}
case "$CXX" in *NOTFOUND) CXX= ;; esac
RL_GENERATOR=${RL_GENERATOR:-Unix Makefiles}
RL_SANITIZER=${RL_SANITIZER:-}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/racelab-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

step() { printf '\n== %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

# Programs of this test are built like racelab's own code: warnings are errors.
# Under a sanitizer they are instrumented too (racelab::racelab and racelab.pc
# add the sanitizer's link flag themselves).
san=()
if [ -n "$RL_SANITIZER" ]; then
	san=("-fsanitize=$RL_SANITIZER" -fno-omit-frame-pointer)
fi
cflags=(-std=c11 -O1 -g -Wall -Wextra -Werror -pedantic "${san[@]}")
cxxflags=(-std=c++17 -O1 -g -Wall -Wextra -Werror -pedantic "${san[@]}")

# run_expect <output line> <program> [args]: run, require exit 0 and the line.
run_expect() {
	local want=$1 out st=0
	shift
	out=$("$@" 2>"$tmp/stderr") || st=$?
	if [ "$st" != 0 ]; then
		printf '%s\n' "$out"
		cat "$tmp/stderr" >&2
		fail "$* exited with status $st"
	fi
	printf '%s\n' "$out" | sed 's/^/    /'
	grep -qF -- "$want" <<<"$out" || fail "$*: no line '$want' in its output"
}

run_all() { # <directory of the programs>
	local d=$1
	run_expect "Result: 80000" "$d/arc_mutex_counter"
	run_expect "builds 2, drops 2" "$d/weak_cache"
	run_expect "every read saw one whole version" "$d/rcu_config"
}

check_prefix() { # <prefix>: the public headers, and only them
	local p=$1 h
	[ -f "$p/include/racelab/version.h" ] || fail "version.h not installed"
	for h in "$RL_SRC"/include/racelab/*.h; do
		[ -f "$p/include/racelab/$(basename "$h")" ] || fail "$(basename "$h") not installed"
	done
	local want got
	want=$( (cd "$RL_SRC/include/racelab" && ls ./*.h; echo ./version.h) | sort -u | tr '\n' ' ')
	got=$( (cd "$p/include/racelab" && ls) | sed 's|^|./|' | sort | tr '\n' ' ')
	[ "$want" = "$got" ] || fail "installed headers differ from include/racelab: want [$want] got [$got]"
	find "$p" -name racelab.pc | grep -q . || fail "racelab.pc not installed"
	find "$p" -name racelabConfig.cmake | grep -q . || fail "racelabConfig.cmake not installed"
	grep -q "RACELAB_VERSION_STRING \"$RL_VERSION\"" "$p/include/racelab/version.h" ||
		fail "version.h does not say $RL_VERSION"
}

build_pkgconfig() { # <prefix> <out dir> [extra LDFLAGS]: examples/Makefile, fast_paths.c, cxx_smoke.cpp
	local p=$1 out=$2 ldflags=${3:-} pcdir
	pcdir=$(dirname "$(find "$p" -name racelab.pc | head -n 1)")
	mkdir -p "$out"
	export PKG_CONFIG_PATH="$pcdir"
	echo "    PKG_CONFIG_PATH=$pcdir; pkg-config --cflags --libs racelab:"
	echo "    $(pkg-config --cflags --libs racelab)"
	[ "$(pkg-config --modversion racelab)" = "$RL_VERSION" ] || fail "pkg-config --modversion racelab is not $RL_VERSION"
	make -s -f "$RL_SRC/examples/Makefile" O="$out" CC="$CC" CFLAGS="${cflags[*]}" LDFLAGS="$ldflags" ||
		fail "examples/Makefile (pkg-config) failed"
	# pkg-config's output and $ldflags are word lists: split them.
	# shellcheck disable=SC2046,SC2086
	"$CC" "${cflags[@]}" $(pkg-config --cflags racelab) "$RL_TESTS_DIR/fast_paths.c" -o "$out/fast_paths" \
		$ldflags $(pkg-config --libs racelab) || fail "fast_paths.c does not build (pkg-config)"
	if [ -n "$CXX" ]; then
		# shellcheck disable=SC2046,SC2086
		"$CXX" "${cxxflags[@]}" $(pkg-config --cflags racelab) "$RL_TESTS_DIR/cxx_smoke.cpp" -o "$out/cxx_smoke" \
			$ldflags $(pkg-config --libs racelab) || fail "cxx_smoke.cpp does not build (pkg-config)"
	fi
	unset PKG_CONFIG_PATH
}

run_pkgconfig() { # <out dir>
	local out=$1
	run_all "$out"
	run_expect "fast paths: ok (racelab $RL_VERSION)" "$out/fast_paths"
	if [ -n "$CXX" ]; then
		run_expect "C++17: ok (racelab $RL_VERSION)" "$out/cxx_smoke"
	else
		echo "    C++: no C++ compiler, cxx_smoke.cpp skipped"
	fi
}

build_find_package() { # <prefix> <build dir>
	local p=$1 b=$2 gen=(-G "$RL_GENERATOR")
	if [ -n "${RL_MAKE_PROGRAM:-}" ]; then
		gen+=("-DCMAKE_MAKE_PROGRAM=$RL_MAKE_PROGRAM")
	fi
	"$CMAKE" -S "$RL_SRC/examples" -B "$b" "${gen[@]}" -DCMAKE_PREFIX_PATH="$p" \
		-DCMAKE_C_COMPILER="$CC" -DCMAKE_C_FLAGS="-Wall -Wextra -Werror ${san[*]}" \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo >"$b.log" 2>&1 || { cat "$b.log"; fail "examples/CMakeLists.txt: configure failed"; }
	"$CMAKE" --build "$b" >>"$b.log" 2>&1 || { cat "$b.log"; fail "examples/CMakeLists.txt: build failed"; }
	echo "    find_package(racelab): $(grep -h 'racelab_DIR:PATH' "$b/CMakeCache.txt")"
}

# ---- 1. install the build under test ------------------------------------------
step "cmake --install $RL_BUILD --prefix <tmp>/static"
prefix=$tmp/static
"$CMAKE" --install "$RL_BUILD" --prefix "$prefix" >"$tmp/install.log" || { cat "$tmp/install.log"; fail "cmake --install failed"; }
check_prefix "$prefix"
find "$prefix" -name 'libracelab.*' | grep -q . || fail "libracelab not installed"
run_expect "racelab $RL_VERSION" "$prefix/bin/racelab" --version
find "$prefix" -type f | sed "s|^$prefix/|    |" | sort

# ---- 2. pkg-config --------------------------------------------------------------
step "examples through pkg-config (examples/Makefile), fast_paths.c, cxx_smoke.cpp"
build_pkgconfig "$prefix" "$tmp/pc"
run_pkgconfig "$tmp/pc"

# ---- 3. find_package ------------------------------------------------------------
step "examples through find_package(racelab) (examples/CMakeLists.txt)"
build_find_package "$prefix" "$tmp/cm"
run_all "$tmp/cm"

# ---- 4. shared library ----------------------------------------------------------
step "BUILD_SHARED_LIBS=ON: libracelab.so, its exports, the examples against it"
sbuild=$tmp/shared-build
sprefix=$tmp/shared
gen=(-G "$RL_GENERATOR")
if [ -n "${RL_MAKE_PROGRAM:-}" ]; then
	gen+=("-DCMAKE_MAKE_PROGRAM=$RL_MAKE_PROGRAM")
fi
# The same configuration as the build under test (build type, sanitizer,
# -Werror), shared; only the library is built.
"$CMAKE" -S "$RL_SRC" -B "$sbuild" "${gen[@]}" -DBUILD_SHARED_LIBS=ON -DRACELAB_TESTS=OFF \
	-DRACELAB_WERROR="${RL_WERROR:-ON}" -DCMAKE_BUILD_TYPE="${RL_BUILD_TYPE:-Debug}" \
	-DRACELAB_SANITIZER="$RL_SANITIZER" -DCMAKE_C_COMPILER="$CC" \
	>"$tmp/shared.log" 2>&1 || { cat "$tmp/shared.log"; fail "shared variant: configure failed"; }
"$CMAKE" --build "$sbuild" --target racelab_lib -j 2 >>"$tmp/shared.log" 2>&1 ||
	{ cat "$tmp/shared.log"; fail "shared variant: build failed"; }
# The library alone: the racelab program (CLI component) is not built here.
for component in Runtime Development; do
	"$CMAKE" --install "$sbuild" --prefix "$sprefix" --component "$component" >>"$tmp/shared.log" ||
		fail "shared variant: install of $component failed"
done
check_prefix "$sprefix"

so=$(find "$sprefix" -name "libracelab.so.$RL_VERSION")
[ -n "$so" ] || fail "libracelab.so.$RL_VERSION not installed"
libdir=$(dirname "$so")
major=${RL_VERSION%%.*}
[ "$(readlink "$libdir/libracelab.so")" = "libracelab.so.$major" ] || fail "libracelab.so does not point to libracelab.so.$major"
[ "$(readlink "$libdir/libracelab.so.$major")" = "libracelab.so.$RL_VERSION" ] || fail "libracelab.so.$major does not point to libracelab.so.$RL_VERSION"
soname=$(readelf -d "$so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ "$soname" = "libracelab.so.$major" ] || fail "soname is '$soname', not libracelab.so.$major"
[ ! -e "$libdir/libracelab.a" ] || fail "the shared variant installed libracelab.a too"
echo "    $(basename "$so"): soname $soname"

# Exports: the public API (rl_<lowercase>, each declared in a public header)
# plus exactly the rl__ names of cmake/racelab.map, which the headers' inline
# fast paths and macros reference; nothing else.
nm -D --defined-only "$so" | awk '{print $NF}' | sort -u >"$tmp/exports"
grep -o 'rl__[a-z_]*;' "$RL_SRC/cmake/racelab.map" | tr -d ';' | sort -u >"$tmp/map_internal"
headers=("$sprefix"/include/racelab/*.h)
bad=0
while read -r sym; do
	case "$sym" in
	rl__*) grep -qx -- "$sym" "$tmp/map_internal" || { echo "    exported internal: $sym"; bad=1; } ;;
	rl_[a-z]*) grep -qw -- "$sym" "${headers[@]}" || { echo "    exported, in no public header: $sym"; bad=1; } ;;
	*) echo "    exported, not racelab's: $sym"; bad=1 ;;
	esac
done <"$tmp/exports"
while read -r sym; do
	grep -qx -- "$sym" "$tmp/exports" || { echo "    cmake/racelab.map names $sym, not exported"; bad=1; }
done <"$tmp/map_internal"
# A public function the map hid: a local rl_ symbol declared in a header, with
# no exported twin (static inline copies of the fast paths have one).
nm --defined-only "$so" | awk '$2 ~ /^[a-z]$/ {print $3}' | grep '^rl_[a-z]' | sort -u >"$tmp/locals" || true
while read -r sym; do
	grep -qx -- "$sym" "$tmp/exports" && continue
	grep -qw -- "$sym" "${headers[@]}" && { echo "    public but not exported: $sym"; bad=1; }
done <"$tmp/locals"
[ "$bad" = 0 ] || fail "libracelab.so exports the wrong set (above)"
nexp=$(wc -l <"$tmp/exports")
nint=$(grep -c '^rl__' "$tmp/exports" || true)
echo "    nm -D --defined-only: $nexp symbols, $((nexp - nint)) rl_* API + $nint rl__* used by the inline fast paths:"
grep '^rl__' "$tmp/exports" | tr '\n' ' ' | fold -s -w 96 | sed 's/^/      /'
echo

build_pkgconfig "$sprefix" "$tmp/spc" "-Wl,-rpath,$libdir"
readelf -d "$tmp/spc/arc_mutex_counter" | grep -q "NEEDED.*libracelab.so.$major" ||
	fail "the pkg-config build did not link libracelab.so.$major"
run_pkgconfig "$tmp/spc"
build_find_package "$sprefix" "$tmp/scm"
readelf -d "$tmp/scm/weak_cache" | grep -q "NEEDED.*libracelab.so.$major" ||
	fail "the find_package build did not link libracelab.so.$major"
run_all "$tmp/scm"

echo
echo "install: ok (static and shared${RL_SANITIZER:+, -fsanitize=$RL_SANITIZER})"
