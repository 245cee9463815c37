#!/bin/bash
# The crontab line of `tbx timer install --cron` read by Debian's real cron
# (issue 15, item 4): a home, models root, model path and XDG_STATE_HOME
# holding '\%', '%', a quote and a blank reach the program exactly as they
# are, and the log goes where tbx said.  cron cuts a command at an
# unescaped '%' and turns "\%" into '%', so `sh -c` alone cannot judge a
# line.  The tbx the line names is a copy, replaced before cron runs it by
# a script that writes down its arguments.  Needs root, Debian's cron, and
# no crontab of root's (it installs one, for a minute, then removes it).
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ] || ! command -v cron >/dev/null || ! command -v crontab >/dev/null; then
	echo "1..0 # SKIP needs root and Debian's cron (apt-get install cron)"
	exit 0
fi
if [ "$TB_ENGINE" != 4 ]; then # cron's reading does not depend on Podman: once is enough
	echo "1..0 # SKIP run on engine 4 only"
	exit 0
fi
if crontab -l >/dev/null 2>&1 || pgrep -x cron >/dev/null; then
	echo "1..0 # SKIP root has a crontab or cron already runs: not touching them"
	exit 0
fi

odd='\%a%b c'"'"'d'
H="$T/home$odd"
MR="$T/models$odd"
M="$MR/m$odd.gguf"
ST="$T/state$odd"
mkdir -p "$H" "$MR" "$ST/tbx" "$T/bin" "$T/argv"
cp -r "$TBX_HOME/containers" "$TBX_HOME/manifests" "$H/"
jq --arg r "$MR" '.root = $r' "$TBX_HOME/manifests/models.json" >"$H/manifests/models.json"
: >"$M"
cp "$TBX_BIN" "$T/bin/tbx"
run env XDG_STATE_HOME="$ST" "$T/bin/tbx" -C "$H" timer install --cron --bench "rocm72:$M"
is "$rc" 0 "timer install --cron with '\\%', '%', a quote and a blank everywhere"
line=$out
like "$line" "^[0-9]+ [0-9]+ \* \* \* " "one crontab line"

# the program cron will run: writes its arguments, one per line
cat >"$T/bin/tbx" <<EOF
#!/bin/sh
n=\$(ls '$T/argv' | wc -l)
for a in "\$@"; do printf '%s\n' "\$a"; done >'$T/argv/'\$n
EOF
chmod 755 "$T/bin/tbx"
printf '* * * * * %s\n' "${line#* * * * * }" | crontab -
cron -f -L 15 >"$T/cron.log" 2>&1 &
cron_pid=$!
trap 'kill $cron_pid 2>/dev/null; crontab -r 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 1 75); do
	[ -e "$T/argv/1" ] && break
	sleep 1
done
sleep 1
kill "$cron_pid" 2>/dev/null
wait "$cron_pid" 2>/dev/null
crontab -r

home_abs=$(realpath "$H")
model_abs=$(realpath "$M")
a0=$(cat "$T/argv/0" 2>/dev/null)
a1=$(cat "$T/argv/1" 2>/dev/null)
is "$(printf '%s\n' "$a0" | head -n 2)" "$(printf -- '-C\n%s' "$home_abs")" \
	"cron ran tbx with the home exactly as it is"
is "$(printf '%s\n' "$a0" | tail -n 1)" refresh "refresh first"
is "$(printf '%s\n' "$a1" | head -n 2)" "$(printf -- '-C\n%s' "$home_abs")" "then tbx with the same home"
is "$(printf '%s\n' "$a1" | tail -n 3)" "$(printf 'bench\nrocm-7.2\n%s' "$model_abs")" \
	"bench, the backend and the model path exactly as it is"
check "the output went to the log under XDG_STATE_HOME, as tbx said" test -f "$ST/tbx/refresh.log"
is "$(find "$T" -maxdepth 1 -name 'state*' | wc -l)" 1 "no other log directory was made up by a cut line"

done_testing
