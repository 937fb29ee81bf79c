#!/usr/bin/env bash
# Builds Veil's Java SDK with the JDK alone (no Maven needed).
#
#   sdk/java/build.sh [jar]   compile (Java 8 bytecode) and package build/veil-sdk.jar
#   sdk/java/build.sh test    … then compile and run the JUnit 4 tests against a real dev node
#   sdk/java/build.sh bench [REQUEST SEED [N]]   … then time signing through the SDK vs the native core
#
# Needs: a JDK (8 or later; javac --release 8 needs JDK 9+), the native library and the
# CLI built by `cargo build --release` (target/release/libveil_jni.so, target/release/veil),
# and for `test`/`bench` JUnit 4 and Hamcrest (Debian/Ubuntu: apt-get install junit4;
# or set JUNIT_JAR and HAMCREST_JAR).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
BUILD="$HERE/build"
SO="$REPO/target/release/libveil_jni.so"
VEIL="$REPO/target/release/veil"
JAR="$BUILD/veil-sdk.jar"
VERSION="0.1.0"
MODE="${1:-jar}"

die() { echo "build.sh: $*" >&2; exit 1; }

case "$MODE" in
  jar|test|bench) ;;
  *) die "unknown mode '$MODE' (use jar, test or bench)" ;;
esac

command -v javac >/dev/null || die "javac not found: install a JDK (8 or later)"
[[ -f "$SO" ]] || die "$SO is missing: run 'cargo build --release' (or 'cargo build --release -p veil-jni') in $REPO first"

# --release 8 needs javac 9+; a JDK 8 javac gets -source/-target 1.8 instead.
if javac --release 8 -version >/dev/null 2>&1; then
  RELEASE=(--release 8)
else
  RELEASE=(-source 1.8 -target 1.8)
fi

# ----- main sources -> classes -> jar ---------------------------------------
rm -rf "$BUILD/classes"
mkdir -p "$BUILD/classes"
find "$HERE/src/main/java" -name '*.java' > "$BUILD/main-sources.txt"
javac "${RELEASE[@]}" -encoding UTF-8 -Xlint:all -Xdoclint:all/public -Werror \
  -d "$BUILD/classes" @"$BUILD/main-sources.txt"

NATIVE_DIR="$BUILD/classes/org/veil/sdk/native/linux-x86_64"
mkdir -p "$NATIVE_DIR"
cp "$SO" "$NATIVE_DIR/libveil_jni.so"

# Java 8 bytecode: class file major version 52.
major="$(javap -v -cp "$BUILD/classes" org.veil.sdk.Wallet | sed -n 's/.*major version: *\([0-9]*\).*/\1/p')"
[[ "$major" == "52" ]] || die "org.veil.sdk.Wallet has class file major version '$major', not 52 (Java 8)"

cat > "$BUILD/MANIFEST.MF" <<MF
Automatic-Module-Name: org.veil.sdk
Implementation-Title: Veil Java SDK
Implementation-Version: $VERSION
Implementation-Vendor: Veil
MF
rm -f "$JAR"
jar cfm "$JAR" "$BUILD/MANIFEST.MF" -C "$BUILD/classes" .
echo "built $JAR (Java 8 bytecode, native library for linux-x86_64)"

[[ "$MODE" == "jar" ]] && exit 0

# ----- tests, examples and bench ----------------------------------------------
[[ -x "$VEIL" ]] || die "$VEIL is missing: run 'cargo build --release' in $REPO first"

find_jar() { # NAME CANDIDATES...
  local name="$1"; shift
  for j in "$@"; do
    [[ -f "$j" ]] && { echo "$j"; return; }
  done
  die "$name not found: apt-get install junit4 (or set ${name^^}_JAR)"
}
JUNIT="${JUNIT_JAR:-$(find_jar junit /usr/share/java/junit4.jar)}"
HAMCREST="${HAMCREST_JAR:-$(find_jar hamcrest /usr/share/java/hamcrest-core.jar /usr/share/java/hamcrest.jar /usr/share/java/hamcrest-all.jar)}"
CP="$JAR:$JUNIT:$HAMCREST"

rm -rf "$BUILD/test-classes"
mkdir -p "$BUILD/test-classes"
{
  find "$HERE/src/test/java" -name '*.java'
  find "$HERE/examples" "$HERE/bench" -name '*.java' 2>/dev/null || true
} > "$BUILD/test-sources.txt"
javac "${RELEASE[@]}" -encoding UTF-8 -cp "$CP" -d "$BUILD/test-classes" @"$BUILD/test-sources.txt"

RUN_CP="$CP:$BUILD/test-classes"

if [[ "$MODE" == "test" ]]; then
  mapfile -t TESTS < <(cd "$HERE/src/test/java" && find . -name '*Test.java' | sed 's|^\./||; s|\.java$||; s|/|.|g' | sort)
  echo "running ${#TESTS[@]} test classes: ${TESTS[*]}"
  exec java -Dveil.repo="$REPO" -cp "$RUN_CP" org.junit.runner.JUnitCore "${TESTS[@]}"
fi

# bench
shift || true
exec java -Dveil.repo="$REPO" -cp "$RUN_CP" org.veil.sdk.SignBench "$@"
