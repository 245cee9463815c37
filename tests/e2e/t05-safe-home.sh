#!/bin/bash
# Trust (issue 15, items 1 and 3): a tbx home found above the working
# directory is used only when it (and every directory on the way up, its
# definitions, manifests and tbx.conf) is owned by the user or root and not
# writable by others, unless named (-C, TBX_HOME) or allowed (TBX_SAFE_HOME,
# safe_home); a planted native definition never runs.  Hostile definitions:
# a models root that is a system directory, devices outside the allow-list.
. "$(dirname "$0")/lib.sh"

tbxd() { env -u TBX_HOME "$TBX_BIN" --url "$TB_URL" "$@"; } # discovery, no TBX_HOME
marker=$T/planted-ran
# the binary a planted definition names: in a safe directory, so that only
# the home decides (a planted definition could as well name /bin/sh -c ...)
PB=$T/pbin/evil.sh
mkdir -p "$T/pbin"
printf '#!/bin/sh\ntouch %s\n' "'$marker'" >"$PB"
chmod 755 "$PB"
plant() { # DIR: a home holding a native backend "x" whose binary leaves $marker
	mkdir -p "$1/containers" "$1/manifests" "$1/sub"
	printf '{"kind": "native", "bench": ["%s"]}\n' "$PB" >"$1/containers/x.json"
	cp "$TBX_HOME/manifests/models.json" "$1/manifests/"
}
one_line() { is "$(printf '%s\n' "$err" | wc -l)" 1 "$1: the refusal is one line"; }

# --------------------------------------------------- a world-writable directory
W=$T/shared
plant "$W"
chmod 1777 "$W" # sticky, as /tmp: anyone can still add containers/ to it
cd "$W/sub" || exit 1
run tbxd bench x tiny
is "$rc" 3 "world-writable home found by discovery: bench refused (exit 3)"
check "the planted binary did not run" test ! -e "$marker"
like "$err" "^tbx: refusing the tbx home '$W' found above the working directory: '$W' is writable by others \(mode 1777\)" \
	"says which home and why"
like "$err" "name it with -C or TBX_HOME, or allow it with TBX_SAFE_HOME='$W' or 'safe_home = $W' in ~/.config/tbx/config$" \
	"and how to allow it"
one_line "world-writable"
run tbxd backends
is "$rc" 3 "every command refuses it (backends)"
run tbxd timer install --cron
is "$rc:$out" "3:" "timer install --cron refuses it and prints no crontab line"
run tbxd timer install
is "$rc" 3 "timer install (systemd) refuses it"
check "and writes no unit" test ! -e "$XDG_CONFIG_HOME/systemd/user/tbx-refresh.service"

# the control: the same planted home, named, does run its binary
run "$TBX_BIN" -C "$W" bench x tiny
check "named with -C, the (planted) binary runs: the test can see it" test -e "$marker"
rm -f "$marker"
run env TBX_HOME="$W" "$TBX_BIN" backends
is "$rc" 0 "TBX_HOME names it too"
run env TBX_SAFE_HOME="/nonexistent:$W" "$TBX_BIN" backends
is "$rc" 0 "TBX_SAFE_HOME allows it (':'-separated)"
cd "$W/sub" || exit 1
run env -u TBX_HOME TBX_SAFE_HOME="$W" "$TBX_BIN" backends
is "$rc" 0 "discovered and allowed by TBX_SAFE_HOME"
like "$out" "^x +native" "lists its backend"
mkdir -p "$XDG_CONFIG_HOME/tbx"
printf '# mine\nsafe_home = /elsewhere\nsafe_home = %s\n' "$W" >"$XDG_CONFIG_HOME/tbx/config"
run tbxd backends
is "$rc" 0 "allowed by 'safe_home = DIR' in ~/.config/tbx/config"
printf 'safe_home = *\n' >"$XDG_CONFIG_HOME/tbx/config"
run tbxd backends
is "$rc" 0 "'safe_home = *' allows every home"
chmod 666 "$XDG_CONFIG_HOME/tbx/config"
run tbxd backends
is "$rc" 3 "a world-writable user config file is refused (exit 3)"
like "$err" "^tbx: refusing the config file \(fix its owner or mode, or name it with TBX_CONFIG\): '$XDG_CONFIG_HOME/tbx/config' is writable by others \(mode 0666\)$" \
	"names the config file and why"
run env TBX_CONFIG="$XDG_CONFIG_HOME/tbx/config" "$TBX_BIN" backends
is "$rc" 0 "named with TBX_CONFIG it is used"
chmod 644 "$XDG_CONFIG_HOME/tbx/config"
chmod 777 "$XDG_CONFIG_HOME/tbx"
run tbxd backends
is "$rc" 3 "a user config file in a directory others can write is refused (exit 3)"
like "$err" "^tbx: refusing the config file .*: '$XDG_CONFIG_HOME/tbx' is writable by others \(mode 0777\)$" \
	"names the directory and why"
chmod 755 "$XDG_CONFIG_HOME/tbx"
mkdir -m 777 "$T/opencfg"
printf 'safe_home = *\n' >"$T/opencfg/config"
rm -f "$XDG_CONFIG_HOME/tbx/config"
ln -s "$T/opencfg/config" "$XDG_CONFIG_HOME/tbx/config"
run tbxd backends
like "$rc:$err" "^3:tbx: refusing the config file .*'$T/opencfg' is writable by others" \
	"a config file linked from a directory others can write: refused"
rm -rf "$XDG_CONFIG_HOME/tbx/config" "$T/opencfg"
rm -f "$XDG_CONFIG_HOME/tbx/config"
printf 'safe_home = *\n' >"$W/tbx.conf"
run "$TBX_BIN" -C "$W" backends
is "$rc" 2 "safe_home in a home's own tbx.conf is an error (exit 2)"
like "$err" "$W/tbx\.conf:1: safe_home is read only from your own config file" "and says where it belongs"
rm -f "$W/tbx.conf"
check "nothing ran the planted binary meanwhile" test ! -e "$marker"

# a working directory below a world-writable one that holds no home: the default home
mkdir -p "$T/open/deeper" "$T/datadir"
chmod 777 "$T/open"
cp -r "$REPO/containers" "$REPO/manifests" "$T/datadir/"
cd "$T/open/deeper" || exit 1
run env -u TBX_HOME TBX_DATADIR="$T/datadir" "$TBX_BIN" backends
is "$rc" 0 "no home above: the default home is used, whatever the directories"
DH=${XDG_DATA_HOME:-$HOME/.local/share}/tbx
check "it was seeded" test -d "$DH/containers"
chmod 777 "$DH/containers"
run env -u TBX_HOME TBX_DATADIR="$T/datadir" "$TBX_BIN" backends
is "$rc" 3 "the default home with a containers/ others can write: refused (exit 3)"
like "$err" "^tbx: refusing the tbx home '$DH': '$DH/containers' is writable by others \(mode 0777\); fix its owner or mode, or if you trust it, name it with -C or TBX_HOME, or allow it with TBX_SAFE_HOME='$DH'$" \
	"says why and how to allow it"
run env -u TBX_HOME TBX_SAFE_HOME="$DH" TBX_DATADIR="$T/datadir" "$TBX_BIN" backends
is "$rc" 0 "allowed by TBX_SAFE_HOME"
chmod 755 "$DH/containers"
# what tbx itself makes in a home is never writable by others, whatever the
# umask, so it never trips this check
rm -rf "$DH"
run sh -c 'umask 0; env -u TBX_HOME TBX_DATADIR="$1" "$2" backends >/dev/null && env -u TBX_HOME TBX_DATADIR="$1" "$2" backends' \
	sh "$T/datadir" "$TBX_BIN"
is "$rc" 0 "seeded under umask 0, the default home is used again"
is "$(find "$DH" -perm -o+w | wc -l)" 0 "nothing in it is writable by others"

# -------------------------------------- a safe home, but something in it is not
S=$T/proj
plant "$S"
chmod 755 "$S"
cd "$S/sub" || exit 1
run tbxd backends
is "$rc" 0 "a home owned by you, mode 755: used"
chmod 777 "$S/sub"
run tbxd backends
is "$rc" 3 "a world-writable directory between it and the working directory: refused"
like "$err" "'$S/sub' is writable by others" "names that directory"
chmod 755 "$S/sub"
chmod 777 "$S/containers"
run tbxd bench x tiny
is "$rc" 3 "a world-writable containers/: refused"
like "$err" "'$S/containers' is writable by others" "names the definitions directory"
check "the binary did not run" test ! -e "$marker"
chmod 755 "$S/containers"
chmod 666 "$S/containers/x.json"
run tbxd bench x tiny
is "$rc" 3 "a world-writable definition: refused"
like "$err" "'$S/containers/x\.json' is writable by others \(mode 0666\)" "names the file"
chmod 644 "$S/containers/x.json"
chmod 666 "$S/manifests/models.json"
run tbxd backends
like "$rc:$err" "^3:.*'$S/manifests/models\.json' is writable by others" "a world-writable manifest: refused"
chmod 644 "$S/manifests/models.json"
printf 'max_age = 1h\n' >"$S/tbx.conf"
chmod 666 "$S/tbx.conf"
run tbxd backends
like "$rc:$err" "^3:.*'$S/tbx\.conf' is writable by others" "a world-writable tbx.conf: refused"
rm -f "$S/tbx.conf"
# a definition linked from a directory others can write is theirs to change
mkdir -m 777 "$T/opendefs"
mv "$S/containers/x.json" "$T/opendefs/x.json"
ln -s "$T/opendefs/x.json" "$S/containers/x.json"
run tbxd bench x tiny
like "$rc:$err" "^3:.*'$T/opendefs' is writable by others \(mode 0777\)" \
	"a definition linked from a world-writable directory: refused"
rm -f "$S/containers/x.json"
mv "$T/opendefs/x.json" "$S/containers/x.json"
rmdir "$T/opendefs"
check "the planted binary never ran" test ! -e "$marker"

# a native binary someone else could replace: refused even in a named home
chmod 777 "$PB"
run "$TBX_BIN" -C "$S" bench x tiny
is "$rc" 3 "a world-writable native binary: bench refused (exit 3)"
like "$err" "^tbx: refused: x's host binary could be replaced by someone else \(fix its owner or mode\): '$PB' is writable by others \(mode 0777\)$" \
	"names the binary and why"
check "it did not run" test ! -e "$marker"
chmod 755 "$PB"
mkdir -m 777 "$T/openbin"
cp -p "$PB" "$T/openbin/lb"
ln -s "$T/openbin/lb" "$S/link-to-lb"
printf '{"kind": "native", "bench": ["%s/link-to-lb"]}\n' "$S" >"$S/containers/y.json"
run "$TBX_BIN" -C "$S" bench y tiny
like "$rc:$err" "^3:.*'$T/openbin' is writable by others" "a binary (through a symlink) in a world-writable directory: refused"
check "it did not run" test ! -e "$marker"
chmod 755 "$T/openbin"
run "$TBX_BIN" -C "$S" bench y tiny
check "the same binary in a safe directory runs (the control)" test -e "$marker"
rm -f "$marker" "$S/containers/y.json"
cp /etc/hostname "$T/openbin/icd.json"
chmod 666 "$T/openbin/icd.json"
printf '{"kind": "native", "bench": ["%s"], "env": {"VK_ICD_FILENAMES": "%s"}}\n' "$PB" "$T/openbin/icd.json" >"$S/containers/z.json"
run "$TBX_BIN" -C "$S" bench z tiny
like "$rc:$err" "^3:tbx: refused: z's Vulkan ICD file could be replaced by someone else \(fix its owner or mode\): '$T/openbin/icd\.json' is writable by others" \
	"a forced Vulkan ICD file others can write (it names the driver library): refused"
check "the binary did not run" test ! -e "$marker"
rm -f "$S/containers/z.json"

# ------------------------------------------- a directory owned by another user
if [ "$(id -u)" -ne 0 ]; then
	echo "ok $((_n += 1)) # SKIP not root: cannot create a user and give it a directory"
else
	evil=tbxt$$
	if useradd -M -N -r -s /usr/sbin/nologin "$evil" 2>"$T/useradd.err"; then
		trap 'userdel "$evil" 2>/dev/null; rm -rf "$T"' EXIT
		E=$T/theirs
		plant "$E"
		chown -R "$evil" "$E"
		chmod 755 "$E"
		cd "$E/sub" || exit 1
		run tbxd bench x tiny
		is "$rc" 3 "a home owned by another user: bench refused (exit 3)"
		check "the planted binary did not run" test ! -e "$marker"
		like "$err" "^tbx: refusing the tbx home '$E' found above the working directory: '$E/sub' is owned by user $evil \(uid [0-9]+\), not by you" \
			"names the directory and its owner"
		one_line "another user's home"
		# under /tmp itself (sticky, world-writable, root's): the owner decides
		D=$(mktemp -d /tmp/tbx-theirs.XXXXXX)
		plant "$D"
		chown -R "$evil" "$D"
		cd "$D/sub" || exit 1
		run tbxd bench x tiny
		is "$rc" 3 "a home under /tmp owned by another user: refused"
		check "the planted binary did not run" test ! -e "$marker"
		cd "$T" || exit 1
		rm -rf "$D"
		chown -R root "$E/sub"
		chown root "$E/containers"
		cd "$E/sub" || exit 1
		run tbxd backends
		like "$rc:$err" "^3:.*'$E' is owned by user $evil" "the home directory itself owned by them: refused"
		chown root "$E"
		chown "$evil" "$E/containers/x.json"
		run tbxd backends
		like "$rc:$err" "^3:.*'$E/containers/x\.json' is owned by user $evil" "a definition owned by them: refused"
		run env -u TBX_HOME SUDO_UID="$(id -u "$evil")" "$TBX_BIN" backends
		is "$rc" 0 "root under sudo trusts SUDO_UID's files (as git does)"
		userdel "$evil" 2>/dev/null
		run tbxd backends
		like "$rc:$err" "^3:.*'$E/containers/x\.json' is owned by uid [0-9]+, not by you" \
			"an owner without a name: the uid"
		check "the planted binary never ran" test ! -e "$marker"
	else
		ok 1 "useradd failed: $(cat "$T/useradd.err")"
	fi
fi
cd "$T" || exit 1

# ------------------------------------------------------------ hostile definitions
H=$T/hostile
mkdir -p "$H"
cp -r "$TBX_HOME/containers" "$TBX_HOME/manifests" "$H/"
mf=$H/manifests/models.json
ln -s /etc "$T/innocent"
for root in / /etc /etc/ssl /usr /proc /sys/kernel /dev /boot /run /var/run/x /home/../etc "$T/innocent" "$T/innocent/x"; do
	printf '{"root": "%s", "models": {"shadow": "shadow"}}\n' "$root" >"$mf"
	run "$TBX_BIN" -C "$H" models
	like "$rc:$err" "^1:tbx: $mf: 'root' '$root' (is|is under|resolves to '[^']*', (which is|under)) the system directory /[a-z]*" \
		"models root '$root' is refused, naming file and key"
	unlike "$out" "shadow" "and nothing is listed"
done
printf '{"root": "/root/models", "models": {}}\n' >"$mf"
run env HOME=/root "$TBX_BIN" -C "$H" models
is "$rc" 0 "/root/models is allowed when /root is the user's home (root)"
for root in /usr/share/models /var/lib/models /mnt "$TB_MODELS"; do
	printf '{"root": "%s", "models": {}}\n' "$root" >"$mf"
	run "$TBX_BIN" -C "$H" models
	is "$rc" 0 "models root '$root' is allowed"
done
# a model outside the root (absolute, "..", a symlink out) is listed as
# OUTSIDE and not looked at: nothing said of whether the file is there
mkdir -p "$T/mroot" && cp "$TB_MODELS/tiny.gguf" "$T/mroot/" && ln -s /etc "$T/mroot/out"
printf '{"root": "%s", "models": {"abs": "/etc/shadow", "up": "../../etc/passwd", "link": "out/passwd", "tiny": "tiny.gguf"}}\n' \
	"$T/mroot" >"$mf"
run "$TBX_BIN" -C "$H" models
is "$rc" 0 "models lists a models.json with entries outside the root"
is "$(printf '%s\n' "$out" | grep -c 'OUTSIDE .*(outside the models root: not looked at)$')" 3 \
	"absolute, '..' and symlinked paths out of the root are OUTSIDE"
unlike "$out" "present  /etc|MISSING  /etc|passwd.*present" "their files are not looked at"
like "$out" "tiny +present +$T/mroot/tiny.gguf" "a model under the root is present"
run "$TBX_BIN" -C "$H" models --json
is "$(printf '%s' "$out" | jq -c '[.models[] | [.alias, .inside_root, .present]] | sort')" \
	'[["abs",false,null],["link",false,null],["tiny",true,true],["up",false,null]]' \
	"--json: inside_root, and present null when outside"
run "$TBX_BIN" -C "$H" bench --dry-run vulkan-radv abs
like "$rc:$err" "^1:.*outside the models root" "bench refuses a model outside the root"
# a model path or definition text with control or bidi characters (a C1
# CSI, an ESC, a right-to-left override) is refused, never printed
for bad in '\u009b2J' '\u001b[2J' '\u202egguf.exe' '\ufffe'; do
	printf '{"root": "%s", "models": {"m": "m%s.gguf"}}\n' "$TB_MODELS" "$bad" >"$mf"
	run "$TBX_BIN" -C "$H" models
	like "$rc:$err" "^1:tbx: $mf: model 'm': the path holds control characters or invalid UTF-8$" \
		"a model path holding $bad is refused"
	is "$out" "" "and nothing is printed"
	jq --arg b "$(printf "d$bad")" '.description = $b' "$TBX_HOME/containers/rocm-7.2.json" \
		>"$H/containers/rocm-7.2.json"
	cp "$TBX_HOME/manifests/models.json" "$mf"
	run "$TBX_BIN" -C "$H" backends
	like "$rc:$err" "^1:.*rocm-7\.2\.json: 'description' is too long or holds control characters" \
		"a description holding $bad is refused"
	cp "$TBX_HOME/containers/rocm-7.2.json" "$H/containers/"
done
cp "$TBX_HOME/manifests/models.json" "$mf"

d=$H/containers/rocm-7.2.json
for dev in /dev/dri/../sda /dev/infiniband/../mem /dev/mem /dev/kmsg /dev/dri/renderD /dev/dri/renderD128x /dev/accel/foo /dev/sda; do
	jq --arg d "$dev" '.devices = [$d]' "$TBX_HOME/containers/rocm-7.2.json" >"$d"
	run "$TBX_BIN" -C "$H" backends
	like "$rc:$err" "^1:tbx: $d: ('devices': '$dev' is not a GPU or accelerator device|device '$dev' is not a path under /dev)" \
		"device '$dev' is refused, naming file and key"
done
like "$err" "set \"unsafe_devices\": true to pass it anyway" "says how to pass it anyway"
jq '.devices = ["/dev/sda"] | .unsafe_devices = true' "$TBX_HOME/containers/rocm-7.2.json" >"$d"
run "$TBX_BIN" -C "$H" backends --json
is "$rc:$(printf '%s' "$out" | jq -c '.[] | select(.id == "rocm-7.2") | [.devices, .unsafe_devices]')" \
	'0:[["/dev/sda"],true]' '"unsafe_devices": true passes any /dev path'
jq '.devices = ["/dev/dri", "/dev/dri/renderD128", "/dev/dri/card1", "/dev/kfd", "/dev/infiniband", "/dev/infiniband/uverbs0", "/dev/infiniband/rdma_cm", "/dev/accel", "/dev/accel/accel0"]' \
	"$TBX_HOME/containers/rocm-7.2.json" >"$d"
run "$TBX_BIN" -C "$H" backends
is "$rc" 0 "the GPU and accelerator devices are allowed"
jq '.unsafe_devices = "yes"' "$TBX_HOME/containers/rocm-7.2.json" >"$d"
run "$TBX_BIN" -C "$H" backends
like "$rc:$err" "^1:.*'unsafe_devices' must be true or false" "unsafe_devices must be a boolean"

done_testing
