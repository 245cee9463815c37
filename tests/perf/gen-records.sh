#!/bin/sh
# tests/perf/gen-records.sh DIR [COUNT] [SEED]
#
# Writes COUNT (default 10000) realistic result records into DIR (a tbx
# home's results/ directory), in the shape `tbx bench` writes them
# (bench_record in src/benchrun.c, pretty-printed like json-c does): a
# nightly rebench of 10 models on 8 backends (7 llama.cpp, 1 lemonade),
# images rebuilt every few nights, llama.cpp builds moving on, ~2% failed
# runs, a few real regressions, 5 samples per test.  The same COUNT and
# SEED always give the same files, so timings can be compared.
#
# Only needs a POSIX shell and awk (mawk or gawk).
set -eu

if [ $# -lt 1 ] || [ $# -gt 3 ]; then
	echo "usage: $0 DIR [COUNT] [SEED]" >&2
	exit 2
fi
dir=$1
count=${2:-10000}
seed=${3:-42}
case $count$seed in *[!0-9]*) echo "$0: COUNT and SEED must be numbers" >&2; exit 2 ;; esac
mkdir -p "$dir"

awk -v dir="$dir" -v count="$count" -v seed="$seed" '
# 64-bit-free pseudo-random numbers (exact in doubles), so mawk and gawk agree
function rnd() { state = (state * 69069 + 1) % 4294967296; return state / 4294967296 }
function hexof(key, n,    x, s, i) {
	x = key % 4294967296
	s = ""
	for (i = 0; i < n; i++) {
		x = (x * 69069 + 12345) % 4294967296
		s = s substr("0123456789abcdef", int(x / 268435456) + 1, 1)
	}
	return s
}
function uuid(key,    h) {
	h = hexof(key, 32)
	return substr(h, 1, 8) "-" substr(h, 9, 4) "-4" substr(h, 14, 3) "-a" substr(h, 18, 3) "-" substr(h, 21, 12)
}
# days since 1970-01-01 to Y-M-D (Howard Hinnant'"'"'s civil_from_days)
function civil(z,    era, doe, yoe, y, doy, mp, d, m) {
	z += 719468
	era = int(z / 146097)
	doe = z - era * 146097
	yoe = int((doe - int(doe / 1460) + int(doe / 36524) - int(doe / 146096)) / 365)
	y = yoe + era * 400
	doy = doe - (365 * yoe + int(yoe / 4) - int(yoe / 100))
	mp = int((5 * doy + 2) / 153)
	d = doy - int((153 * mp + 2) / 5) + 1
	m = mp < 10 ? mp + 3 : mp - 9
	if (m <= 2) y++
	return sprintf("%04d-%02d-%02d", y, m, d)
}
function stamp(t,    s) {
	s = t % 86400
	return civil(int(t / 86400)) sprintf("T%02d:%02d:%02dZ", int(s / 3600), int(s % 3600 / 60), s % 60)
}
function samples(mean, rel, ind,    i, v, sum, sq, out, x, m) {
	sum = 0
	for (i = 1; i <= 5; i++) {
		v = mean * (1 + rel * (rnd() + rnd() + rnd() - 1.5))
		x[i] = sprintf("%.2f", v) + 0
		sum += x[i]
	}
	m = sum / 5
	sq = 0
	for (i = 1; i <= 5; i++) sq += (x[i] - m) * (x[i] - m)
	out = "{\n" ind "  \"mean\": " sprintf("%.6f", m) ",\n" ind "  \"stddev\": " sprintf("%.6f", sqrt(sq / 4)) ",\n" ind "  \"samples\": ["
	for (i = 1; i <= 5; i++) out = out "\n" ind "    " sprintf("%.2f", x[i]) (i < 5 ? "," : "")
	return out "\n" ind "  ]\n" ind "}"
}
function str(s) { return s == "" ? "null" : "\"" s "\"" }
BEGIN {
	state = seed % 4294967296
	nb = split("vulkan-radv vulkan-amdvlk rocm-6.4.4 rocm-7.2 rocm7-nightlies vulkan-native hip-local lemonade", B, " ")
	nm = split("Qwen3.6-35B-A3B-UD-Q4_K_XL GLM-4.7-Flash-UD-Q8_K_XL MiniMax-M2.7-UD-Q3_K_S Ministral-3-14B-Instruct-2512-BF16 Qwen3.5-122B-A10B-UD-Q5_K_XL gemma-4-26B-A4B-it-UD-Q4_K_XL gemma-4-26B-A4B-it-UD-Q8_K_XL gemma-4-26B-A4B-it-BF16 gpt-oss-20b-mxfp4 llama-2-7b.Q4_0", M, " ")
	split("1113.64 1092.07 232.10 310.45 265.20 1010.30 905.66 640.12 1650.40 1690.20", PP, " ")
	split("60.43 41.17 25.30 12.10 21.05 48.70 35.10 18.40 70.25 96.80", TG, " ")
	split("1.00 0.93 1.02 1.01 1.00 0.97 1.05 1.06", BPP, " ")
	split("1.00 1.01 0.85 0.86 0.85 0.98 0.84 0.88", BTG, " ")
	start = 1767225600 # 2026-01-01
	per_night = nb * nm
	for (i = 0; i < count; i++) {
		night = int(i / per_night)
		j = i % per_night
		b = j % nb + 1
		mo = int(j / nb) + 1
		gen = int((night + b) / 3)          # image rebuilt every third night
		build = 9000 + int(night / 2)       # a new llama.cpp build every other night
		t = start + night * 86400 + 3600 + j * 97
		bk = B[b]
		lem = bk == "lemonade"
		native = lem || bk == "vulkan-native" || bk == "hip-local"
		if (lem) build = 1189
		failed = rnd() < 0.02
		shift = (gen % 7 == 3 && !lem) ? 0.92 : 1.0 # now and then a real regression
		run = uuid(seed * 1000003 + i)
		model = M[mo]
		path = "/home/bench/models/" model ".gguf"
		ts = stamp(t) # the file name as store_write makes it
		f = sprintf("%s/%s%s%sT%s%s%sZ-%s-%s-%s.json", dir, substr(ts, 1, 4), substr(ts, 6, 2),
			substr(ts, 9, 2), substr(ts, 12, 2), substr(ts, 15, 2), substr(ts, 18, 2), bk, model, run)
		digest = native ? "" : "sha256:" hexof(b * 7919 + gen * 104729, 64)
		bin = native ? hexof(b * 31 + (lem ? 0 : gen), 64) : ""
		rocm = bk ~ /rocm|hip|lemonade/
		dev = rocm ? "AMD Radeon 8060S Graphics, gfx1151 (0x1151), VMM: no, Wave Size: 32" : "AMD Radeon 8060S Graphics (RADV GFX1151) (radv) | uma: 1 | fp16: 1 | bf16: 0 | warp size: 64 | shared memory: 65536"
		o = "{\n  \"schema\": 1,\n  \"run_id\": \"" run "\",\n  \"status\": \"" (failed ? "failed" : "ok") "\",\n"
		if (failed) o = o "  \"error\": \"llama-bench died of signal 6 (exit 134): " (rocm ? "HIP error: out of memory" : "vk::DeviceLostError") "\",\n"
		o = o "  \"started_at\": \"" ts "\",\n  \"finished_at\": \"" stamp(t + 95) "\",\n"
		o = o "  \"backend\": \"" bk "\",\n  \"lineage\": \"" (lem ? "lemonade" : "llama.cpp") "\",\n"
		o = o "  \"model\": \"" model "\",\n  \"model_path\": \"" path "\",\n  \"model_bytes\": " sprintf("%.0f", 20000000000 + mo * 1000000007) ",\n"
		o = o "  \"command\": [\n    \"" (native ? "/opt/" bk "/llama-bench" : "llama-bench") "\",\n    \"-m\",\n    \"" path "\",\n    \"--n-gpu-layers\",\n    \"99\",\n    \"-p\",\n    \"512\",\n    \"-n\",\n    \"128\",\n    \"-o\",\n    \"jsonl\"\n  ],\n"
		o = o "  \"extra_args\": [\n  ],\n  \"host\": {\n    \"name\": \"strix\",\n    \"kernel\": \"6.19.12-200.fc43.x86_64\"\n  },\n"
		o = o "  \"tbx_version\": \"0.1.0\",\n  \"kind\": \"" (native ? "native" : "container") "\",\n"
		o = o "  \"image_ref\": " (native ? "null" : "\"docker.io/kyuz0/amd-strix-halo-toolboxes:" bk "\"") ",\n"
		o = o "  \"image_digest\": " str(digest) ",\n  \"image_id\": " (native ? "null" : "\"" hexof(gen * 13 + b, 64) "\"") ",\n"
		o = o "  \"container\": " (native ? "null" : "\"llama-" bk "\"") ",\n  \"container_id\": " (native ? "null" : "\"" hexof(gen * 17 + b, 64) "\"") ",\n"
		o = o "  \"binary_path\": " (native ? "\"/opt/" bk "/llama-bench\"" : "null") ",\n  \"binary_sha256\": " str(bin) ",\n"
		o = o "  \"build_commit\": \"" hexof(build, 9) "\",\n  \"build_number\": " build ",\n"
		o = o "  \"device\": \"" dev "\",\n  \"devices\": [\n    \"" dev "\"\n  ],\n"
		o = o "  \"backends\": \"" (rocm ? "ROCm" : "Vulkan") "\",\n  \"gpu_info\": \"AMD Radeon 8060S Graphics\",\n  \"model_type\": \"" model "\",\n"
		if (failed) {
			o = o "  \"pp512\": null,\n  \"tg128\": null,\n  \"warmup\": null,\n"
		} else {
			pp = PP[mo] * BPP[b]
			tg = TG[mo] * BTG[b] * shift
			o = o "  \"pp512\": " samples(pp, 0.01, "  ") ",\n  \"tg128\": " samples(tg, 0.004, "  ") ",\n"
			o = o "  \"warmup\": {\n    \"pp512\": " samples(pp * 0.97, 0.01, "    ") ",\n    \"tg128\": " samples(tg * 0.99, 0.004, "    ") ",\n    \"discarded\": true\n  },\n"
		}
		o = o "  \"stale\": false,\n  \"stale_reason\": null,\n  \"imported\": false\n}\n"
		printf "%s", o > f
		close(f)
	}
}'
