#!/bin/sh
# tests/torture/hostile-bench.sh - a fake llama-bench for a native backend
# definition: prints canned hostile output chosen by $TBX_HOSTILE.
# It writes its argv, one argument per NUL-terminated field, to
# $TBX_HOSTILE_ARGV when that is set (to check tbx passes argv verbatim).
# POSIX sh + coreutils only.

if [ -n "${TBX_HOSTILE_ARGV:-}" ]; then
	for a in "$@"; do printf '%s\0' "$a"; done >"$TBX_HOSTILE_ARGV"
fi

# row N_PROMPT N_GEN AVG_TS SAMPLES_TS AVG_NS SAMPLES_NS [EXTRA_FIELDS]
row() {
	printf '{"build_commit": "hostile", "build_number": 4242, "cpu_info": "torture", "gpu_info": "", "backends": "CPU", "model_filename": "m.gguf", "model_type": "llama ?B all F32", "model_size": 591104, "model_n_params": 147776, "n_gpu_layers": 99, "n_prompt": %s, "n_gen": %s, "n_depth": 0, "test_time": "2026-01-01T00:00:00Z", "avg_ns": %s, "stddev_ns": 10, "avg_ts": %s, "stddev_ts": 1.0, "samples_ns": %s,"samples_ts": %s%s}\n' \
		"$1" "$2" "$5" "$3" "$6" "$4" "${7:-}"
}
# consistent rows, as llama-bench prints them: 100.5 t/s and 20.5 t/s
pp() { row 512 0 100.5 '[ 100.0, 101.0 ]' 5095049504 '[ 5120000000, 5069306930 ]' "${1:-}"; }
tg() { row 0 128 20.5 '[ 20.0, 21.0 ]' 6247619047 '[ 6400000000, 6095238095 ]'; }
long_line() { # BYTES CHAR: one line of that many bytes
	head -c "$1" /dev/zero | tr '\0' "$2"
	echo
}

case "${TBX_HOSTILE:-ok}" in
ok)
	pp
	tg
	;;
huge-line) # a 4 MB line of noise before the rows, and a 40 MB one after
	long_line 4000000 x
	pp
	tg
	long_line 40000000 y
	;;
huge-json-line) # a row padded to 8 MB
	pp ", \"pad\": \"$(head -c 8000000 /dev/zero | tr '\0' p)\""
	tg
	;;
flood-stdout) # 64 MB of rows: beyond any sane buffer
	pp
	tg
	i=0
	while [ $i -lt 16 ]; do long_line 4000000 '{'; i=$((i + 1)); done
	;;
flood-stderr) # 48 MB of device-like lines on stderr
	pp
	tg
	yes 'ggml_vulkan: 0 = hostile device (torture) | uma: 0 | fp16: 1 | warp size: 32' | head -c 48000000 >&2
	;;
invalid-utf8)
	printf '\377\376 garbage \300\200 line\n'
	pp ', "model_type": "\377\376\300\200 \355\240\200 bad", "gpu_info": "\377"' |
		sed 's/"build_commit": "hostile"/"build_commit": "h\xff\xfeostile\xc0"/'
	tg
	printf 'ggml_vulkan: 0 = dev \377\376 name\n' >&2
	;;
nan-inf)
	row 512 0 nan '[ nan, inf ]' nan '[ nan, inf ]'
	row 0 128 inf '[ -inf, NaN ]' inf '[ -inf, NaN ]'
	;;
nan-quoted)
	row 512 0 '"nan"' '[ "nan", "inf" ]' '"nan"' '[ "nan", "inf" ]'
	row 0 128 '"inf"' '[ "-inf", "NaN" ]' '"inf"' '[ "-inf", "NaN" ]'
	;;
zero-time) # 0 ns per run: infinite tokens per second
	row 512 0 0 '[ 0, 0 ]' 0 '[ 0, 0 ]'
	row 0 128 0 '[ 0, 0 ]' 0 '[ 0, 0 ]'
	;;
huge-numbers)
	row 512 0 1e308 '[ 1e308, 1.7976931348623157e308 ]' 1e-320 '[ 1e-320, 5e-324 ]'
	row 0 128 -5 '[ -1e308, 1e-320 ]' -1e308 '[ -1e308, 1e308 ]'
	;;
negative)
	row 512 0 -100 '[ -100, -101 ]' -5095049504 '[ -5120000000, -5069306930 ]'
	row 0 128 -20 '[ -20, -21 ]' -6247619047 '[ -6400000000, -6095238095 ]'
	;;
wrong-types)
	row 512 0 '"fast"' '"many"' '"slow"' '"many"'
	row 0 128 '{}' '{"a": 1}' '[]' '[ "x", null, true ]'
	;;
missing-tg)
	pp
	;;
missing-pp)
	tg
	;;
no-rows)
	echo 'main: this llama-bench printed nothing useful'
	;;
empty) ;;
duplicated)
	pp
	pp
	tg
	tg
	row 512 0 999.0 '[ 999.0 ]'
	;;
truncated-json)
	pp
	printf '{"build_commit": "hostile", "build_number": 4242, "n_prompt": 0, "n_gen": 128, "avg_ts": 20.5, "samples_ts": [ 20.0, 2'
	;;
truncated-all)
	printf '{"build_commit": "hostile", "build_number": 42'
	;;
interleaved)
	echo 'load_backend: loaded CPU backend' >&2
	printf '{"build_commit": "hostile", '
	echo 'ggml_vulkan: 0 = interleaved (torture) | uma: 0' >&2
	printf '"build_number": 4242, "backends": "CPU", "n_prompt": 512, "n_gen": 0, "avg_ts": 100.5, "samples_ts": [ 100.0, 101.0 ]}\n'
	echo '{"n_prompt": 0, "n_gen": 128, "this is": "stderr json"}' >&2
	tg
	echo 'warning: stderr after the rows' >&2
	;;
control-chars) # ANSI escapes, CR, BEL, backspaces in strings and device lines
	pp ', "gpu_info": "\u001b[31mRED\u001b[0m\r\u0007\b", "model_type": "a\u0000b"'
	tg
	printf 'ggml_vulkan: 0 = \033[31mevil\033[0m\r\007 (torture)\n' >&2
	;;
many-samples) # a million samples
	printf '{"build_commit": "hostile", "build_number": 4242, "backends": "CPU", "n_prompt": 512, "n_gen": 0, "avg_ts": 100.5, "samples_ts": [ 100'
	yes ', 100.5' | head -n 1000000 | tr -d '\n'
	echo ' ]}'
	tg
	;;
deep-nesting)
	printf '{"n_prompt": 512, "n_gen": 0, "x": '
	head -c 100000 /dev/zero | tr '\0' '['
	head -c 100000 /dev/zero | tr '\0' ']'
	echo '}'
	pp
	tg
	;;
nul-bytes)
	printf 'noise\000noise\n'
	pp | tr 'h' '\000'
	pp
	tg
	;;
abort) # exit 134 with a backtrace
	pp
	cat >&2 <<'BT'
/build/llama.cpp/ggml/src/ggml.c:1234: GGML_ASSERT(ctx->mem_buffer != NULL) failed
[New LWP 4242]
#0  0x00007f0000000000 in __pthread_kill_implementation () from /lib/x86_64-linux-gnu/libc.so.6
#1  0x00007f0000000001 in raise () from /lib/x86_64-linux-gnu/libc.so.6
#2  0x00007f0000000002 in abort () from /lib/x86_64-linux-gnu/libc.so.6
#3  0x00005600000000ff in ggml_abort ()
BT
	exit 134
	;;
segv) # really die of a signal
	pp
	kill -SEGV $$
	;;
exit-zero-garbage)
	head -c 200000 /dev/urandom
	;;
rows-then-fail)
	pp
	tg
	echo 'error: failed at the very end' >&2
	exit 1
	;;
*)
	echo "hostile-bench: unknown scenario '$TBX_HOSTILE'" >&2
	exit 99
	;;
esac
exit 0
