#!/bin/sh
# tests/perf/gen-records.sh DIR [COUNT] [SEED]
#
# Writes COUNT (default 10000) realistic result records into DIR (a tbx
# home's results/ directory) through tbx's own record writer
# (tests/tools/mkrecord, built by `make build/rel/mkrecord`; TBX_MKRECORD
# names another build), so they are shaped exactly as `tbx bench` writes
# them: a
# nightly rebench of 10 models on 8 backends (7 llama.cpp, 1 lemonade),
# images rebuilt every few nights, llama.cpp builds moving on, ~2% failed
# runs, a few real regressions, 5 samples per test.  The same COUNT and
# SEED always give the same files, so timings can be compared.
#
# Needs a POSIX shell, awk (mawk or gawk) and make (to build mkrecord).
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
repo=$(cd "$(dirname "$0")/../.." && pwd)
mkrecord=${TBX_MKRECORD:-$repo/build/rel/mkrecord}
if [ ! -x "$mkrecord" ]; then
	make -s -C "$repo" build/rel/mkrecord >&2 || { echo "$0: cannot build mkrecord" >&2; exit 1; }
	mkrecord=$repo/build/rel/mkrecord
fi

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
function samples(key, mean, rel,    i, out) {
	out = key
	for (i = 1; i <= 5; i++) out = out "\t" sprintf("%.2f", mean * (1 + rel * (rnd() + rnd() + rnd() - 1.5)))
	return out "\n"
}
function kv(key, val) { return key "\t" val "\n" }
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
		ts = stamp(t)
		digest = native ? "" : "sha256:" hexof(b * 7919 + gen * 104729, 64)
		bin = native ? hexof(b * 31 + (lem ? 0 : gen), 64) : ""
		rocm = bk ~ /rocm|hip|lemonade/
		dev = rocm ? "AMD Radeon 8060S Graphics, gfx1151 (0x1151), VMM: no, Wave Size: 32" : "AMD Radeon 8060S Graphics (RADV GFX1151) (radv) | uma: 1 | fp16: 1 | bf16: 0 | warp size: 64 | shared memory: 65536"
		o = kv("run_id", run) kv("status", failed ? "failed" : "ok")
		if (failed) o = o kv("error", "llama-bench died of signal 6 (exit 134): " (rocm ? "HIP error: out of memory" : "vk::DeviceLostError"))
		o = o kv("started_at", ts) kv("finished_at", stamp(t + 95))
		o = o kv("backend", bk) kv("lineage", lem ? "lemonade" : "llama.cpp")
		o = o kv("model", model) kv("model_path", path) kv("model_bytes", sprintf("%.0f", 20000000000 + mo * 1000000007))
		o = o kv("command", (native ? "/opt/" bk "/llama-bench" : "llama-bench") "\t-m\t" path "\t--n-gpu-layers\t99\t-p\t512\t-n\t128\t-o\tjsonl")
		o = o kv("host", "strix") kv("kernel", "6.19.12-200.fc43.x86_64")
		o = o kv("tbx_version", "0.1.0") kv("kind", native ? "native" : "container")
		if (!native) {
			o = o kv("image_ref", "docker.io/kyuz0/amd-strix-halo-toolboxes:" bk) kv("image_digest", digest)
			o = o kv("image_id", hexof(gen * 13 + b, 64)) kv("container", "llama-" bk) kv("container_id", hexof(gen * 17 + b, 64))
		} else {
			o = o kv("binary_path", "/opt/" bk "/llama-bench") kv("binary_sha256", bin)
		}
		o = o kv("build_commit", hexof(build, 9)) kv("build_number", build)
		o = o kv("device", dev) kv("devices", dev)
		o = o kv("backends", rocm ? "ROCm" : "Vulkan") kv("gpu_info", "AMD Radeon 8060S Graphics") kv("model_type", model)
		threads = (gen % 5 == 4 && !native) ? 1 : 16 # now and then a build with other defaults
		o = o kv("settings", "{\"n_batch\":2048,\"n_ubatch\":512,\"n_threads\":" threads ",\"cpu_mask\":\"0x0\",\"cpu_strict\":false,\"poll\":50,\"type_k\":\"f16\",\"type_v\":\"f16\",\"n_gpu_layers\":99,\"n_cpu_moe\":0,\"split_mode\":\"layer\",\"main_gpu\":0,\"no_kv_offload\":false,\"flash_attn\":" (build % 4 == 0 ? 1 : -1) ",\"devices\":\"auto\",\"tensor_split\":\"0.00\",\"tensor_buft_overrides\":\"none\",\"embeddings\":false,\"no_op_offload\":false,\"no_host\":false,\"n_depth\":0,\"load_mode\":\"auto\",\"repack\":true,\"lazy_mode\":\"off\",\"fit_target\":1024,\"fit_min_ctx\":4096}")
		o = o kv("host_state", "{\"state_read\":true,\"kernel_release\":\"6.19.12-200.fc43.x86_64\",\"kernel_params\":{\"amd_iommu\":\"" (night % 30 < 15 ? "off" : "on") "\",\"amdgpu.gttsize\":\"126976\",\"ttm.pages_limit\":\"32505856\"},\"ttm_pages_limit\":32505856,\"ttm_page_pool_size\":32505856,\"amdgpu_gttsize\":126976,\"platform_profile\":\"performance\",\"tuned_profile\":\"accelerator-performance\",\"firmware\":{\"linux-firmware\":\"20251111-1.fc43\"},\"cpu_model\":\"AMD RYZEN AI MAX+ 395 w/ Radeon 8060S\",\"mem_total_bytes\":133143986176,\"mesa\":" (rocm ? "null" : "\"25.2.7-1.fc43\"") ",\"rocm\":" (rocm ? "\"7.2.0\"" : "null") ",\"limits\":{\"memlock\":{\"soft\":\"unlimited\",\"hard\":\"unlimited\"},\"nofile\":{\"soft\":1048576,\"hard\":1048576}},\"gpu_env\":{}}")
		o = o kv("upstream", native ? "" : "{\"state\":\"live\",\"last_build\":\"" stamp(t - 7200) "\",\"successor\":null}")
		if (!failed) {
			pp = PP[mo] * BPP[b]
			tg = TG[mo] * BTG[b] * shift
			o = o samples("pp512", pp, 0.01) samples("tg128", tg, 0.004)
			o = o samples("warmup_pp512", pp * 0.97, 0.01) samples("warmup_tg128", tg * 0.99, 0.004)
		}
		printf "%s\n", o
	}
}' | "$mkrecord" "$dir"
