#!/bin/bash
# tests/packaging/t10-rpm.sh - `make dist` and tbx.spec: the versioned source
# tarball holds every tracked file under tbx-VERSION/, and `rpmbuild -bb` of
# the spec against that tarball builds an rpm that installs the binary, the
# man page, the bash completion and the shipped definitions where Fedora
# expects them. rpmbuild from Debian's `rpm` package (no Fedora macros: the
# spec has fallbacks); --nodeps because its rpm database knows no dpkg
# packages. TAP on stdout; run by tests/run-all (once, not per engine).
set -u
REPO=${TBX_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
cd "$REPO" || exit 1
T=$(mktemp -d /tmp/tbx-pkg.XXXXXX)
trap 'rm -rf "$T"' EXIT

n=0
failed=0
ok() { # STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}
is() {
	if [ "$1" = "$2" ]; then ok 0 "$3"; else
		ok 1 "$3"
		echo "#   got:  '$1'"
		echo "#   want: '$2'"
	fi
}
has() { # LIST-FILE PATH-REGEX DESCRIPTION
	if grep -Eqx -- "$2" "$1"; then ok 0 "$3"; else
		ok 1 "$3"
		echo "#   no line matching '$2' in:"
		sed 's/^/#     /' "$1" | head -n 40
	fi
}

VERSION=$(sed -n 's/^VERSION *:= *//p' Makefile)
is "$(sed -n 's/^Version: *//p' tbx.spec)" "$VERSION" "tbx.spec's Version is the Makefile's VERSION ($VERSION)"

# --- make dist
rm -f "tbx-$VERSION.tar.gz"
make -s dist >"$T/dist.out" 2>&1
is "$?" 0 "make dist succeeds"
if [ ! -s "tbx-$VERSION.tar.gz" ]; then
	sed 's/^/#   /' "$T/dist.out"
	ok 1 "make dist wrote tbx-$VERSION.tar.gz"
	echo "1..$n"
	exit 1
fi
ok 0 "make dist wrote tbx-$VERSION.tar.gz"
mkdir -p "$T/SOURCES"
mv "tbx-$VERSION.tar.gz" "$T/SOURCES/"
tar -tzf "$T/SOURCES/tbx-$VERSION.tar.gz" | LC_ALL=C sort >"$T/dist.list"
git ls-files | sed "s,^,tbx-$VERSION/," | LC_ALL=C sort >"$T/git.list"
is "$(comm -3 "$T/dist.list" "$T/git.list" | head -n 5 | tr '\n' ' ')" "" \
	"the tarball holds exactly the tracked files, under tbx-$VERSION/"
has "$T/dist.list" "tbx-$VERSION/tbx\.spec" "the tarball carries tbx.spec (rpmbuild -ta works)"

# --- rpmbuild -bb against the dist tarball
if ! command -v rpmbuild >/dev/null 2>&1; then
	ok 1 "rpmbuild is installed (Debian package rpm; scripts/install-deps.sh)"
	echo "1..$n"
	exit 1
fi
mkdir -p "$T/top" "$T/tmp"
tar -xzOf "$T/SOURCES/tbx-$VERSION.tar.gz" "tbx-$VERSION/tbx.spec" >"$T/tbx.spec"
# the unit tests run in `make check` already: --without check here
rpmbuild -bb --nodeps --without check --define "_topdir $T/top" \
	--define "_sourcedir $T/SOURCES" --define "_tmppath $T/tmp" "$T/tbx.spec" \
	>"$T/rpmbuild.log" 2>&1
rc=$?
is "$rc" 0 "rpmbuild -bb tbx.spec succeeds"
[ "$rc" = 0 ] || tail -n 30 "$T/rpmbuild.log" | sed 's/^/#   /'
rpmf=$(ls "$T"/top/RPMS/*/tbx-"$VERSION"-*.rpm 2>/dev/null | head -n 1)
ok "$([ -n "$rpmf" ] && echo 0 || echo 1)" "it wrote tbx-$VERSION-*.rpm"
if [ -z "$rpmf" ]; then
	echo "1..$n"
	exit 1
fi
is "$(rpm -qp --qf '%{NAME} %{VERSION}' "$rpmf" 2>/dev/null)" "tbx $VERSION" "the rpm is tbx $VERSION"
rpm -qlp "$rpmf" >"$T/files" 2>/dev/null
has "$T/files" "/usr/bin/tbx" "the binary in %{_bindir}"
has "$T/files" "/usr/share/man/man1/tbx\.1(\.gz|\.xz|\.zst|\.bz2)?" "the man page in %{_mandir}/man1"
has "$T/files" "/usr/share/bash-completion/completions/tbx" "the bash completion in %{bash_completions_dir}"
missing=""
for f in containers/*.json manifests/*.json; do
	grep -qx "/usr/share/tbx/$f" "$T/files" || missing="$missing $f"
done
is "$missing" "" "every shipped definition in %{_datadir}/tbx (containers/, manifests/)"
has "$T/files" "/usr/share/doc/tbx(-$VERSION)?/README\.md" "README as %doc"
has "$T/files" "/usr/share/doc/tbx(-$VERSION)?/CHANGELOG\.md" "CHANGELOG as %doc"

# the packaged binary runs and looks for its definitions where they are
mkdir -p "$T/root"
(cd "$T/root" && rpm2cpio "$rpmf" | cpio -idm --quiet) 2>"$T/cpio.err"
like_out=$("$T/root/usr/bin/tbx" --version 2>&1)
is "$(printf '%s' "$like_out" | grep -c -- "$VERSION")" 1 "the packaged tbx --version says $VERSION"
if grep -aq '/usr/share/tbx' "$T/root/usr/bin/tbx"; then ok 0 "it was built to find the definitions in /usr/share/tbx"; else
	ok 1 "it was built to find the definitions in /usr/share/tbx"
fi

echo "1..$n"
[ "$failed" -eq 0 ]
