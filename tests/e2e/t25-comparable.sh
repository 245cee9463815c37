#!/bin/bash
# Comparable numbers (issue 12) on the real test bed: every record carries
# llama-bench's effective settings and a configuration key; a run with other
# arguments (-- -fa 1) is never compared with one without (bench's line, the
# report's rows, results --key); a rebuild whose llama-bench defaults to one
# thread (same argv from tbx, n_threads changes in llama-bench's output) is
# flagged and attributed to the image, naming n_threads; a changed host
# (kernel command line amd_iommu=off, a TBX_HOST_ROOT fixture) between two
# runs on the same image is attributed to the host.
. "$(dirname "$0")/lib.sh"
reset_containers
ensure_tags
results=$TBX_HOME/results
newest() { ls -t "$results"/*.json | head -1; }

run tbx refresh rocm72
is "$rc" 0 "refresh rocm72"

# --- the effective settings and the key are in the record
run tbx bench rocm72 tiny -- -r 3
is "$rc" 0 "bench rocm72 tiny -- -r 3"
rec=$(newest)
is "$(jq -r .schema "$rec")" 2 "schema 2"
is "$(jq -r '.settings | type' "$rec")" object "the effective settings are recorded"
threads=$(jq -r .settings.n_threads "$rec")
like "$threads" '^[0-9]+$' "n_threads as llama-bench printed it"
is "$(jq -r .settings.n_gpu_layers "$rec")" 99 "n_gpu_layers"
like "$(jq -r .settings.flash_attn "$rec")" '^(-1|0|1)$' "flash_attn normalised to -1/0/1"
check "load_mode (or use_mmap folded into it)" jqe '.settings.load_mode | type == "string"' "$rec"
check "use_mmap itself is not kept beside load_mode" jqe '.settings | has("use_mmap") | not' "$rec"
is "$(jq -r .run_kind "$rec")" bench "the kind of run"
key=$(jq -r .config_key "$rec")
like "$key" '^bench\|rocm-7\.2\|tiny\.gguf\|[0-9]+\|-r 3$' "the configuration key: kind, backend, file, size, arguments"
check "the upstream slot is there" jqe 'has("upstream")' "$rec"

# --- -fa 1 is another configuration: never compared
run tbx bench rocm72 tiny -- -r 3 -fa 1
is "$rc" 0 "bench with -- -r 3 -fa 1"
like "$out" "first result for this configuration" "not compared with the run without -fa 1"
unlike "$out" "vs previous" "no comparison line"
fa=$(newest)
is "$(jq -r .settings.flash_attn "$fa")" 1 "flash_attn 1 recorded"
check "another key" test "$(jq -r .config_key "$fa")" != "$key"

# --- a sweep (-fa 0,1): rows of one run with contradictory settings are
# refused with the reason, and nothing is recorded
nrec=$(ls "$results" | wc -l)
run tbx bench rocm72 tiny -- -r 1 -fa 0,1
is "$rc" 3 "a run whose rows disagree is refused (exit 3)"
like "$err" "warmup run refused, nothing recorded: line [0-9]+: contradictory settings in one run: flash_attn is 1 here but 0 on an earlier row" \
	"the reason names the setting"
is "$(ls "$results" | wc -l)" "$nrec" "nothing recorded"

run tbx results --key "$key"
is "$rc" 0 "results --key"
is "$(printf '%s\n' "$out" | grep -c '^20')" 1 "only the run of that key"
run tbx results --json --key "$key"
is "$(jq -r 'length' <<<"$out")" 1 "results --json --key: one run"
is "$(jq -r '.[0].config_key' <<<"$out")" "$key" "with its key"
check "and its settings" jqe '.[0].settings.n_threads' <<<"$out"
run tbx results --group
is "$rc" 0 "results --group"
like "$out" "configuration: bench\|rocm-7\.2\|tiny\.gguf\|[0-9]+\|-r 3 -fa 1" "a group per key"
run tbx report -o "$T/r"
is "$rc" 0 "report"
matrix=$(cat "$T"/r/REBENCH-MATRIX-*.md)
like "$matrix" "\| tiny \(-r 3\) \|" "a row for the run without -fa 1"
like "$matrix" "\| tiny \(-r 3 -fa 1\) \|" "and one for the run with it"

# --- a rebuild whose llama-bench defaults to one thread: same argv from tbx
if [ "$threads" = 1 ]; then
	echo "# skip: llama-bench already defaults to one thread on this machine"
else
	"$TESTBED" rebuild "$TB_DIR" rocm-7.2 --llama-bench-adds "-t 1" >/dev/null 2>&1
	run tbx refresh rocm72
	is "$rc" 0 "refresh to the rebuilt image"
	run tbx bench rocm72 tiny -- -r 3
	is "$rc" 0 "the same bench on the rebuilt image"
	new=$(newest)
	is "$(jq -r '.command | join(" ")' "$new")" "$(jq -r '.command | join(" ")' "$rec")" "the same argv"
	is "$(jq -r .settings.n_threads "$new")" 1 "llama-bench says it ran one thread"
	is "$(jq -r .config_key "$new")" "$key" "the same configuration"
	like "$out" "vs previous" "compared with the run before the rebuild"
	# which way it goes depends on the machine (on a loaded one, one thread
	# can be faster than two spinning): flagged either way, with its cause
	like "$out" "(REGRESSION|improvement): (pp512|tg128) [-+][0-9.]+% after image sha256:[0-9a-f]+ -> sha256:[0-9a-f]+, n_threads $threads → 1, a default of the new build; attributed to the image" \
		"flagged, naming n_threads, attributed to the image"
	bench_out=$out
	run tbx report --check
	if printf '%s' "$bench_out" | grep -q REGRESSION; then
		is "$rc" 1 "report --check: exit 1 on the regression"
		like "$out" "^REGRESSION: tiny \(-r 3\) on rocm-7\.2: (pp512|tg128) .*n_threads $threads → 1, a default of the new build; attributed to the image$" \
			"--check names the setting and the attribution"
	else
		is "$rc" 0 "report --check: an improvement is no failure"
	fi
	unlike "$out" "-fa 1" "the -fa 1 run is not in it"
	run tbx report -o "$T/r2"
	like "$(cat "$T"/r2/REBENCH-MATRIX-*.md)" "(REGRESSION\*\*|improvement:) tiny \(-r 3\) on rocm-7\.2: .*n.threads $threads → 1, a default of the new build; attributed to the image" \
		"the report names the setting and the attribution"
	# leave a plain image behind for the tests after this one
	"$TESTBED" rebuild "$TB_DIR" rocm-7.2 >/dev/null 2>&1
fi

# --- the same image, another host state (amd_iommu=off): the host
run tbx bench --help
if ! printf '%s' "$out" | grep -q TBX_HOST_ROOT; then
	echo "# skip: this tbx does not read the host state yet"
else
	# the image was rebuilt above: bring the container up to date first
	run tbx refresh rocm72
	is "$rc" 0 "refresh"
	export TBX_HOST_ROOT=$REPO/tests/fixtures/host/strix-halo
	run tbx bench rocm72 tiny -- -r 1
	is "$rc" 0 "bench on the strix-halo host fixture"
	before=$(newest)
	is "$(jq -r '.host.kernel_params.amd_iommu' "$before")" null "no amd_iommu parameter"
	export TBX_HOST_ROOT=$REPO/tests/fixtures/host/strix-halo-iommu-off
	# records order runs by started_at, in whole seconds: a tiny model's
	# run takes less than one, and two runs of one second are ordered by
	# their random run_id (the later could come first); real runs take
	# minutes
	sleep 1.1
	run tbx bench rocm72 tiny -- -r 1
	is "$rc" 0 "bench again, the kernel booted with amd_iommu=off"
	after=$(newest)
	unset TBX_HOST_ROOT
	is "$(jq -r '.host.kernel_params.amd_iommu' "$after")" off "the record has it"
	is "$(jq -r .image_digest "$after")" "$(jq -r .image_digest "$before")" "the same image"
	# the test bed's CPU does not care about the IOMMU (and a loaded machine
	# makes any number): make the second run the first one 20% slower, by
	# hand, as it would be on a Strix Halo
	jq --slurpfile b "$before" '.tg128.samples = ($b[0].tg128.samples | map(. * 0.8))
		| .tg128.mean = $b[0].tg128.mean * 0.8 | .tg128.stddev = $b[0].tg128.stddev * 0.8' \
		"$after" >"$T/slower.json"
	mv "$T/slower.json" "$after"
	run tbx report --check
	is "$rc" 1 "report --check: exit 1"
	like "$out" "^REGRESSION: tiny \(-r 1\) on rocm-7\.2: tg128 -20\.0% after kernel_params\.amd_iommu \? -> off; attributed to the host$" \
		"attributed to the host, naming the kernel parameter"

	# --- every host item is in the record: null when absent, never left out
	for k in state_read kernel_release kernel_params ttm_pages_limit ttm_page_pool_size \
		amdgpu_gttsize platform_profile tuned_profile firmware cpu_model mem_total_bytes \
		mesa rocm limits gpu_env; do
		check "host.$k is in the record" jqe --arg k "$k" '.host | has($k)' "$before"
	done
	is "$(jq -r .host.kernel_release "$before")" 6.17.7-300.fc43.x86_64 "kernel release from the fixture"
	is "$(jq -r .host.ttm_pages_limit "$before")" 32505856 "TTM page limit"
	is "$(jq -r .host.amdgpu_gttsize "$before")" 126976 "GTT size"
	is "$(jq -r .host.platform_profile "$before")" performance "platform profile"
	is "$(jq -r .host.tuned_profile "$before")" accelerator-performance "TuneD profile"
	is "$(jq -r .host.cpu_model "$before")" "AMD RYZEN AI MAX+ 395 w/ Radeon 8060S" "CPU model"
	is "$(jq -r .host.mem_total_bytes "$before")" 133143986176 "memory size"
	is "$(jq -r .host.firmware "$before")" null "no package database in the fixture: firmware unknown"
	is "$(jq -r '.host.kernel_params["amdgpu.gttsize"]' "$before")" 126976 "amdgpu.* kernel parameters"

	# --- host files that are a FIFO, huge or binary: skipped with a -v
	# note, never a hang, the run recorded with those items unknown
	bad=$T/host-bad
	cp -r "$REPO/tests/fixtures/host/strix-halo" "$bad"
	rm -f "$bad/proc/cmdline" && mkfifo "$bad/proc/cmdline"
	head -c 1048576 /dev/zero >"$bad/sys/firmware/acpi/platform_profile"
	printf 'balanced\0\377\n' >"$bad/etc/tuned/active_profile"
	rm -f "$bad/sys/module/amdgpu/parameters/gttsize"
	export TBX_HOST_ROOT=$bad
	run timeout 600 "$TBX_BIN" --url "$TB_URL" -v bench rocm72 tiny -- -r 1
	unset TBX_HOST_ROOT
	is "$rc" 0 "bench with unreadable host files: no hang"
	like "$err" "host state: [^ ]*/proc/cmdline skipped: a FIFO" "the FIFO is named under -v"
	like "$err" "host state: [^ ]*/platform_profile skipped: too large" "the huge file too"
	like "$err" "host state: [^ ]*/active_profile skipped: binary" "and the binary one"
	like "$err" "host state: [^ ]*/gttsize skipped: absent" "and the missing one"
	odd=$(newest)
	is "$(jq -r .host.kernel_params "$odd")" null "kernel parameters unknown"
	is "$(jq -r .host.platform_profile "$odd")" null "platform profile unknown"
	is "$(jq -r .host.tuned_profile "$odd")" null "TuneD profile unknown"
	is "$(jq -r .host.amdgpu_gttsize "$odd")" null "GTT size unknown"
	is "$(jq -r .host.kernel_release "$odd")" 6.17.7-300.fc43.x86_64 "the rest still read"
fi

done_testing
