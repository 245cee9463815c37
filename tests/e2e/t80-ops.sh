#!/bin/bash
# The operations side: bash completion (scripted COMP_WORDS), tbx timer
# install/status/remove in a scratch XDG_CONFIG_HOME (a fake systemctl
# records what tbx asks of systemd: the real user manager is never
# touched), the crontab line (run for real), the two wrapper scripts
# from BACKENDS.md, and the man page.
. "$(dirname "$0")/lib.sh"
reset_containers
ensure_tags

TBX_ABS=$(readlink -f "$TBX_BIN")
HOME_ABS=$(readlink -f "$TBX_HOME")
mkdir -p "$T/bin" "$T/fake" "$T/nosys"
ln -s "$TBX_ABS" "$T/bin/tbx"
sorted() { printf '%s\n' "$@" | sort | tr '\n' ' '; }

# ---------------------------------------------------------------- completion
# shellcheck source=../../scripts/tbx.bash-completion
. "$REPO/scripts/tbx.bash-completion"
is "$(complete -p tbx)" "complete -F _tbx tbx" "completion is registered for tbx"
comp() { # WORDS... (the last is the one being completed) -> sorted COMPREPLY
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMPREPLY=()
	PATH=$T/bin:$PATH _tbx
	sorted "${COMPREPLY[@]}"
}
is "$(comp tbx be)" "bench " "tbx be<TAB>: bench"
is "$(comp tbx b)" "backends bench " "tbx b<TAB>: the commands"
is "$(comp tbx ti)" "timer " "tbx ti<TAB>: timer"
is "$(comp tbx bench '')" \
	"$(sorted rocm-6.4.4 rocm-7.2 rocm7-nightlies vulkan-amdvlk vulkan-radv rocm644 rocm72 rocm7 amdvlk vulkan-container)" \
	"tbx bench <TAB>: backend ids and aliases"
is "$(comp tbx bench rocm72 '')" "tiny " "tbx bench rocm72 <TAB>: the models"
is "$(comp tbx bench --allow-stale rocm72 t)" "tiny " "options do not count as positionals"
is "$(comp tbx refresh --)" "$(sorted --include-amdvlk --include-experimental --prune-legacy --check --adopt --no-wait --json --help)" \
	"tbx refresh --<TAB>: refresh's options"
is "$(comp tbx refresh rocm7)" "rocm7 rocm7-nightlies rocm72 " "tbx refresh BACKEND<TAB>"
is "$(comp tbx timer '')" "install remove status " "tbx timer <TAB>"
like "$(comp tbx timer install --)" "--at .*--bench .*--cron .*--refresh-args " "timer install's options"
is "$(comp tbx results --backend rocm-7)" "rocm-7.2 " "an option's value: a backend"
is "$(comp tbx --js)" "--json " "global options"
is "$(comp tbx help re)" "refresh report results " "tbx help <TAB>: commands"
# another home, given with -C, completes its own names
mkdir -p "$T/other/containers" "$T/other/manifests"
cp "$TBX_HOME/containers/rocm-7.2.json" "$T/other/containers/solo.json"
echo "{\"root\": \"$T\", \"models\": {\"onlyhere\": \"x.gguf\"}}" >"$T/other/manifests/models.json"
is "$(comp tbx -C "$T/other" bench '')" "rocm72 solo " "-C DIR: that home's backends"
is "$(comp tbx -C "$T/other" bench solo '')" "onlyhere " "-C DIR: that home's models"

# ---------------------------------------------------------------- timer
units=$XDG_CONFIG_HOME/systemd/user
svc=$units/tbx-refresh.service
tmr=$units/tbx-refresh.timer

for bad in 24:00 12:60 7 ab:cd 1:2 "" 12:345 -1:00; do
	run tbx timer install --at "$bad"
	is "$rc:$(printf '%s\n' "$err" | wc -l)" 2:1 "--at '$bad': exit 2, one line"
done
like "$err" "^tbx: --at '-1:00' is not a time of day HH:MM \(00:00 to 23:59\)$" "the --at error"
for bad in 0h 25h 90m 4 4x ""; do
	run tbx timer install --every "$bad"
	is "$rc:$(printf '%s\n' "$err" | wc -l)" 2:1 "--every '$bad': exit 2, one line"
done
like "$err" "^tbx: --every '' is not a whole number of hours from 1h to 24h \(like 4h\)$" "the --every error"
run env PATH="$T/nosys" "$TBX_BIN" --url "$TB_URL" timer install --cron --every 4h --at 02:45
is "$rc" 0 "timer install --cron --every 4h"
like "$out" "^45 2-23/4 \* \* \* " "--every 4h --at 02:45: 02:45, 06:45, ... 22:45 in cron"
run env PATH="$T/nosys" "$TBX_BIN" --url "$TB_URL" timer install --cron --every 1d --at 02:45
like "$out" "^45 2 \* \* \* " "--every 1d: daily"
run tbx timer install --refresh-args "--prune-legacy --bogus"
is "$rc" 2 "--refresh-args: an unknown option is refused now"
like "$err" "has no option '--bogus'" "and named"
run tbx timer install --refresh-args "rocm73"
is "$rc" 2 "--refresh-args: an unknown backend is refused now"
run tbx timer install --bench rocm72
is "$rc" 2 "--bench without :MODEL is refused"
run tbx timer install --bench rocm72:nope
is "$rc" 2 "--bench with an unknown model is refused"
check "nothing written by refused installs" test ! -e "$units"

# --cron: prints one line, writes nothing
LOG=$HOME/.local/state/tbx/refresh.log
run env PATH="$T/nosys" "$TBX_BIN" --url "$TB_URL" timer install --cron --at 04:05 \
	--refresh-args "--prune-legacy rocm72" --bench rocm72:tiny
is "$rc" 0 "timer install --cron"
is "$(printf '%s\n' "$out" | wc -l)" 1 "--cron prints one line"
like "$out" "^5 4 \* \* \* TBX_LOCK_DIR=$T/lock TBX_REGISTRY_MIRROR=$TB_MIRROR $TBX_ABS -C $HOME_ABS --url $TB_URL refresh --prune-legacy rocm-7\.2 >>$LOG && TBX_LOCK_DIR=$T/lock TBX_REGISTRY_MIRROR=$TB_MIRROR $TBX_ABS -C $HOME_ABS --url $TB_URL bench rocm-7\.2 tiny >>$LOG$" \
	"the crontab line: environment, absolute tbx, same home and socket, stdout to a log"
like "$err" "crontab -e.*errors to cron's mail; first run: mkdir -p $HOME/.local/state/tbx" \
	"it says how to add it, and to create the log directory"
check "--cron writes no unit" test ! -e "$units"
# run the line's command the way cron does (sh -c), for real
cmd=$(printf '%s' "$out" | cut -d' ' -f6-)
mkdir -p "$(dirname "$LOG")"
(cd / && env -i PATH=/usr/bin:/bin HOME="$HOME" sh -c "$cmd" 2>"$T/cron.err")
is "$?" 0 "the cron command runs: refresh, then the bench"
like "$(cat "$LOG")" "^[0-9T:-]+Z rocm-7\.2: created sha256:" "the log has the timestamped refresh lines"
like "$(cat "$LOG")" "tiny on rocm-7\.2" "and the bench"
is "$(grep -v '^tbx: ' "$T/cron.err" || true)" "" "nothing but tbx's own notes on stderr"

# a control character in anything that goes into the line (here the log
# path, from XDG_STATE_HOME) would start a second crontab entry: refused
run env XDG_STATE_HOME="$T/state
* * * * * touch $T/injected" PATH="$T/nosys" "$TBX_BIN" timer install --cron
is "$rc:$(printf '%s\n' "$err" | wc -l)" "2:1" "--cron: a newline in XDG_STATE_HOME is refused in one line"
like "$err" "^tbx: control character in the log path '" "and the log path named"
is "$out" "" "no crontab line printed"
run env TBX_LOCK_DIR="$T/lock
x" PATH="$T/nosys" "$TBX_BIN" timer install
is "$rc" 2 "a newline in a carried variable is refused for the units too"
like "$err" "control character in TBX_LOCK_DIR" "and the variable named"
check "nothing written" test ! -e "$units"

# no systemctl at all: units written, the user told what to run
run env PATH="$T/nosys" "$TBX_BIN" timer install
is "$rc" 0 "install without systemctl still succeeds"
check "the service unit is written" test -f "$svc"
check "the timer unit is written" test -f "$tmr"
like "$err" "timer not enabled \(systemctl not found\); to enable it run: systemctl --user daemon-reload && systemctl --user enable --now tbx-refresh\.timer" \
	"and told what to run"
run env PATH="$T/nosys" "$TBX_BIN" timer status
like "$out" "state +unknown \(systemctl not found\)" "status without systemctl"

# a fake systemctl: records its arguments, answers like a user manager
cat >"$T/fake/systemctl" <<EOF
#!/bin/sh
echo "\$*" >>"$T/systemctl.log"
case "\$*" in
*"show --property=Version"*) echo "Version=252" ;;
*is-enabled*) echo enabled ;;
*is-active*) echo active ;;
*NextElapseUSecRealtime*) echo "NextElapseUSecRealtime=Thu 2026-01-01 04:12:00 UTC" ;;
*LastTriggerUSec*) echo "LastTriggerUSec=Wed 2025-12-31 04:09:00 UTC" ;;
*"--property=Result"*) echo "Result=exit-code" ;;
esac
exit 0
EOF
chmod +x "$T/fake/systemctl"
: >"$T/systemctl.log"
export TBX_LOCK_DIR="$T/lock dir%1" # carried into the unit: quoting
run env PATH="$T/fake:$PATH" "$TBX_BIN" --url "$TB_URL" timer install --at 04:05 \
	--refresh-args "--prune-legacy rocm72" --bench rocm72:tiny --bench vulkan-radv:tiny
export TBX_LOCK_DIR=$T/lock
is "$rc" 0 "timer install with a user manager"
like "$out" "wrote $svc" "it says what it wrote"
like "$out" "enabled tbx-refresh\.timer; next run Thu 2026-01-01 04:12:00 UTC" "and when it runs next"
is "$(cat "$T/systemctl.log")" "--user --no-pager show --property=Version
--user --no-pager daemon-reload
--user --no-pager enable --now tbx-refresh.timer
--user --no-pager show --property=NextElapseUSecRealtime tbx-refresh.timer" \
	"systemctl --user: daemon-reload, then enable --now the timer"
exec_base="$TBX_ABS -C $HOME_ABS --url $TB_URL"
check "service: oneshot" grep -qx "Type=oneshot" "$svc"
is "$(grep -E '^Exec' "$svc")" "ExecStart=$exec_base refresh --prune-legacy rocm-7.2
ExecStartPost=$exec_base bench rocm-7.2 tiny
ExecStartPost=$exec_base bench vulkan-radv tiny" \
	"service: refresh, then each bench in order (absolute tbx, same home, same socket)"
is "$(grep -E '^Environment=' "$svc")" "Environment=\"TBX_LOCK_DIR=$T/lock dir%%1\"
Environment=TBX_REGISTRY_MIRROR=$TB_MIRROR" \
	"service: tbx's environment carried, quoted for systemd"
is "$(grep -E '^Standard' "$svc")" "StandardOutput=journal
StandardError=journal" "service: logs to the journal"
is "$(sed -n '/^\[Timer\]/,/^$/p' "$tmr")" "[Timer]
OnCalendar=*-*-* 04:05:00
Persistent=true
RandomizedDelaySec=15min
Unit=tbx-refresh.service" "timer: daily at --at, persistent, randomized"
cp "$svc" "$T/svc.daily"
run env PATH="$T/nosys" TBX_LOCK_DIR="$T/lock dir%1" "$TBX_BIN" --url "$TB_URL" timer install --every 4h --at 02:45 \
	--refresh-args "--prune-legacy rocm72" --bench rocm72:tiny --bench vulkan-radv:tiny
is "$rc" 0 "timer install --every 4h"
like "$out" "every 4 hours from 02:45" "says when it runs"
is "$(grep -E '^OnCalendar=' "$tmr")" "OnCalendar=*-*-* 02/4:45:00" "timer: every 4 hours, one run at 02:45"
like "$(grep -E '^Description=' "$tmr")" "every 4 hours" "timer: described so"
if command -v systemd-analyze >/dev/null; then
	hrs=$(systemd-analyze calendar --iterations=2 '*-*-* 02/4:45:00' 2>&1 | grep -oE '[0-9]{2}:45:00' | cut -c1-2 | tr '\n' ' ')
	read -r h1 h2 <<<"$hrs"
	is "$(( (10#${h2:-0} - 10#${h1:-0} + 24) % 24 )):$(( 10#${h1:-1} % 4 ))" "4:2" \
		"systemd reads it as every 4 hours from 02:45 ($hrs)"
fi
run env PATH="$T/nosys" TBX_LOCK_DIR="$T/lock dir%1" "$TBX_BIN" --url "$TB_URL" timer install --at 04:05 \
	--refresh-args "--prune-legacy rocm72" --bench rocm72:tiny --bench vulkan-radv:tiny
cmp -s "$svc" "$T/svc.daily"
is "$?" 0 "back to daily: the same service"
is "$(sed -n '/^\[Install\]/,$p' "$tmr")" "[Install]
WantedBy=timers.target" "timer: installed into timers.target"

# systemd's own verdict on the units, when systemd-analyze works here
if command -v systemd-analyze >/dev/null; then
	printf '[Service]\nType=oneshot\nExecStart=/bin/true\n' >"$T/probe.service"
	if (cd "$T" && systemd-analyze verify --man=no ./probe.service) >/dev/null 2>&1; then
		(cd "$units" && systemd-analyze verify --man=no ./tbx-refresh.service ./tbx-refresh.timer) \
			>"$T/verify.out" 2>&1
		is "$?:$(cat "$T/verify.out")" "0:" "systemd-analyze verify accepts both units"
	else
		ok 0 "systemd-analyze verify # skip systemd-analyze verify does not work here"
	fi
else
	ok 0 "systemd-analyze verify # skip no systemd-analyze"
fi

: >"$T/systemctl.log"
run env PATH="$T/fake:$PATH" "$TBX_BIN" timer status
is "$rc" 0 "timer status"
like "$out" "state +enabled, active" "status: enabled and active"
like "$out" "next run +Thu 2026-01-01 04:12:00 UTC" "status: the next run"
like "$out" "last run +Wed 2025-12-31 04:09:00 UTC \(exit-code\)" "status: the last run and its result"
like "$out" "runs +$exec_base refresh --prune-legacy rocm-7\.2" "status: what it runs"
run env PATH="$T/fake:$PATH" "$TBX_BIN" timer status --json
is "$(printf '%s' "$out" | jq -r '[.installed, .enabled, .active, .schedule, (.exec_start_post | length)] | map(tostring) | join(",")')" \
	"true,enabled,active,*-*-* 04:05:00,2" "status --json"

: >"$T/systemctl.log"
run env PATH="$T/fake:$PATH" "$TBX_BIN" timer remove
is "$rc" 0 "timer remove"
like "$out" "removed $tmr" "it removes the timer"
like "$out" "removed $svc" "and the service"
is "$(cat "$T/systemctl.log")" "--user --no-pager show --property=Version
--user --no-pager disable --now tbx-refresh.timer
--user --no-pager daemon-reload" "systemctl --user: disable --now, then daemon-reload"
check "no unit left" test ! -e "$svc" -a ! -e "$tmr"
run env PATH="$T/fake:$PATH" "$TBX_BIN" timer status
like "$out" "^not installed" "status after remove: not installed"
run env PATH="$T/fake:$PATH" "$TBX_BIN" timer remove
is "$rc:$out" "0:not installed (nothing in $units)" "remove twice: nothing to do"
run tbx timer
is "$rc" 2 "timer without a subcommand: usage"

# ---------------------------------------------------------------- scripts
# copies beside the tbx under test, as in the repository (scripts/../tbx)
mkdir -p "$T/repo/scripts" "$T/lonely"
ln -s "$TBX_ABS" "$T/repo/tbx"
cp "$REPO/scripts/refresh-backend-containers.sh" "$REPO/scripts/run-one-backend.sh" "$T/repo/scripts/"
cp "$REPO/scripts/run-one-backend.sh" "$T/lonely/"
refresh_sh=$T/repo/scripts/refresh-backend-containers.sh
one_sh=$T/repo/scripts/run-one-backend.sh

run "$refresh_sh" --bogus
is "$rc" 2 "refresh-backend-containers.sh: an unknown argument exits 2"
is "$err" "refresh-backend-containers.sh: unknown argument '--bogus'
usage: refresh-backend-containers.sh [--include-amdvlk] [--prune-legacy]
(runs 'tbx refresh' with the same flags; see 'tbx refresh --help')" "and prints the usage"
run "$refresh_sh" --help
is "$rc:$(printf '%s' "$out" | head -1)" \
	"0:usage: refresh-backend-containers.sh [--include-amdvlk] [--prune-legacy]" "--help: usage on stdout"
run env CONTAINER_HOST="$TB_URL" "$refresh_sh" --include-amdvlk --prune-legacy
is "$rc" 0 "refresh-backend-containers.sh --include-amdvlk --prune-legacy runs tbx refresh"
like "$out" "vulkan-amdvlk: created" "the optional backend too"
like "$out" "5 backends: [0-9]+ changed" "tbx's summary line"

run "$one_sh" rocm72
is "$rc" 2 "run-one-backend.sh with one argument exits 2"
like "$err" "usage: run-one-backend.sh BACKEND MODEL" "and prints the usage"
run "$one_sh" a b c
is "$rc" 2 "three arguments: exit 2"
run env CONTAINER_HOST="$TB_URL" "$one_sh" nope tiny
is "$rc" 2 "a bad backend: tbx's exit code"
like "$err" "^tbx: unknown backend 'nope'" "and tbx's message"
run env CONTAINER_HOST="$TB_URL" "$one_sh" rocm72 tiny
is "$rc" 0 "run-one-backend.sh rocm72 tiny benches"
like "$out" "tiny on rocm-7\.2" "tbx bench's result"
# without ../tbx: tbx from PATH, else a clear error
run env CONTAINER_HOST="$TB_URL" PATH="$T/bin:/usr/bin:/bin" "$T/lonely/run-one-backend.sh" nope tiny
like "$rc:$err" "^2:tbx: unknown backend 'nope'" "without ../tbx, tbx on PATH is used"
run env PATH="/usr/bin:/bin" "$T/lonely/run-one-backend.sh" rocm72 tiny
if command -v tbx >/dev/null 2>&1; then
	ok 0 "tbx not found # skip a tbx is installed on this machine"
else
	like "$rc:$err" "^1:run-one-backend\.sh: tbx not found" "no tbx anywhere: a clear error"
fi

# ---------------------------------------------------------------- man page
if command -v man >/dev/null 2>&1; then
	"$TBX_BIN" help --man >"$T/tbx.1"
	is "$?" 0 "tbx help --man"
	MANPAGER=cat MANWIDTH=100 man -l "$T/tbx.1" >"$T/man.txt" 2>"$T/man.err"
	is "$?:$(cat "$T/man.err")" "0:" "man renders it without a word on stderr"
	if command -v groff >/dev/null 2>&1; then
		groff -man -ww -z "$T/tbx.1" 2>"$T/groff.err"
		is "$(cat "$T/groff.err")" "" "groff -ww: no warning"
	fi
	man=$(cat "$T/man.txt")
	"$TBX_BIN" help >"$T/help.txt"
	missing=""
	for c in $(sed -n '/^Commands:/,/^$/s/^  \([a-z-]*\) .*/\1/p' "$T/help.txt"); do
		grep -Eq "tbx +$c( |$)" "$T/man.txt" || missing="$missing $c" # man justifies: blanks vary
	done
	is "$missing" "" "the man page has every command"
	like "$man" "^EXIT STATUS" "and the EXIT STATUS section"
	like "$man" "tbx +timer +install +\[--at +HH:MM\]" "and the timer synopsis"
else
	ok 0 "man page # skip man is not installed"
fi

done_testing
