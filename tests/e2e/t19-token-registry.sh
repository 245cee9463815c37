#!/bin/bash
# The production registry path: a registry with token auth like Docker Hub
# (tests/testbed token-up: docker-registry with `auth: token`, a JWT token
# server, ~100 ms away behind a delay proxy), and Podman pulling through it.
# One token request per repository per command, none when the anonymous
# token is cached, none before the first HEAD when the challenge is known;
# refresh pulls through the auth mirror; a repository that needs
# credentials; tokens expiring mid-command; insufficient_scope; bad token
# services: one line per backend, nothing changed, no credential printed.
. "$(dirname "$0")/lib.sh"
reset_images
ensure_tags

if ! "$TESTBED" token-up "$TB_DIR" 50 >"$T/token-up.log" 2>&1; then
	cat "$T/token-up.log"
	echo "Bail out! the token registry did not come up"
	exit 1
fi
trap '"$TESTBED" token-down "$TB_DIR" >/dev/null 2>&1; rm -rf "$T"' EXIT
# shellcheck disable=SC1091
. "$TB_DIR/token/env"
export TBX_REGISTRY_MIRROR=$TB_TOKEN_MIRROR
export REGISTRY_AUTH_FILE=$TB_AUTH_FILE
cache=$TBX_HOME/cache/registry-tokens.json

counts() { curl -s "$TB_TOKEN_SERVER/_counts"; }
tokens_by() { # AGENT -> token requests so far
	counts | jq -r --arg a "$1" '.by_agent[$a] // 0'
}
scope_count() { # REPO -> token requests so far for REPO's pull scope (any client)
	counts | jq -r --arg s "repository:$1:pull" '[.by_scope | to_entries[] | select(.key | startswith($s)) | .value] | add // 0'
}
reg_mark() { wc -l <"$TB_TOKEN_REGISTRY_LOG"; }
reg_count() { # MARK REGEX
	sleep 0.2
	tail -n +"$(($1 + 1))" "$TB_TOKEN_REGISTRY_LOG" | grep -cE "$2" || true
}
control() { echo "$2" >"$TB_TOKEN_CONTROL/$1"; }

# --- the registry really wants tokens
code=$(curl -s -o /dev/null -w '%{http_code}' -I "http://$TB_TOKEN_REGISTRY/v2/kyuz0/amd-strix-halo-toolboxes/manifests/vulkan-radv")
is "$code" 401 "an anonymous HEAD gets 401, like Docker Hub"

# --- first refresh: tbx asks once per repository, Podman pulls through the auth mirror
t0=$(tokens_by tbx) p0=$(tokens_by podman)
mark=$(reg_mark)
run tbx refresh
is "$rc" 0 "first refresh through the token registry succeeds"
like "$out" "4 backends: 4 changed, 0 unchanged, 0 failed" "it creates the four containers"
is "$(($(tokens_by tbx) - t0))" 1 "one token request from tbx for one repository"
check "Podman pulled through the token registry (it asked for tokens)" test "$(($(tokens_by podman) - p0))" -ge 1
check "the images came from the token registry" test "$(reg_count "$mark" '"GET /v2/kyuz0/amd-strix-halo-toolboxes/blobs/')" -ge 1
check "the token cache is private to its owner" test "$(stat -c %a "$cache")" = 600
is "$(jq -r '.challenges[0].realm' "$cache")" "$TB_TOKEN_REALM" "the challenge is remembered"

# --- live status, cold token cache: exactly one token, asked before the first HEAD
jq 'del(.tokens)' "$cache" >"$cache.tmp" && mv "$cache.tmp" "$cache"
t0=$(tokens_by tbx)
mark=$(reg_mark)
run tbx status
is "$rc" 0 "status (live) succeeds"
like "$out" "rocm-7\.2 .*fresh" "status says fresh"
unlike "$out$err" "stale|error|denied" "no backend is stale or failing"
is "$(($(tokens_by tbx) - t0))" 1 "exactly 1 token request for the repository"
is "$(reg_count "$mark" '"HEAD /v2/[^ ]*/manifests/[^ ]* HTTP/1.1" 401')" 0 "no 401 round trip: the token came first"
is "$(reg_count "$mark" '"HEAD /v2/[^ ]*/manifests/')" 5 "one HEAD per backend (5, the optional one included)"

# --- status again: the anonymous token comes from the cache
t0=$(tokens_by tbx)
run tbx status
is "$rc" 0 "status again"
is "$(($(tokens_by tbx) - t0))" 0 "no token request: the cached anonymous token is used"

# --- a cold start (no cache at all): one 401 round, then one token
rm -f "$cache"
t0=$(tokens_by tbx)
mark=$(reg_mark)
run tbx status
is "$rc" 0 "status without a cache"
is "$(($(tokens_by tbx) - t0))" 1 "still one token request, not one per backend"
is "$(reg_count "$mark" '"HEAD /v2/[^ ]*/manifests/[^ ]* HTTP/1.1" 401')" 5 "each backend's first HEAD got the challenge"

# --- no-op refresh
t0=$(tokens_by tbx)
mark=$(reg_mark)
run tbx refresh
is "$rc" 0 "no-op refresh"
like "$out" "0 changed, 4 unchanged" "nothing changed"
is "$(reg_count "$mark" '"GET /v2/[^ ]*/manifests/')" 0 "no manifest GET"
is "$(($(tokens_by tbx) - t0))" 0 "no token request (cached), the tags/list walk included"
is "$(reg_count "$mark" '"GET /v2/[^ ]*/tags/list[^ ]* HTTP/1.1" 200')" 1 "the tag list was read with the token"

# --- an upstream rebuild: refresh pulls it through the auth mirror
"$TESTBED" rebuild "$TB_DIR" vulkan-radv >/dev/null 2>&1
want=$("$TESTBED" digest "$TB_DIR" vulkan-radv)
p0=$(tokens_by podman)
mark=$(reg_mark)
run tbx refresh
is "$rc" 0 "refresh after a rebuild"
like "$out" "1 changed, 3 unchanged" "exactly one backend changed"
is "$(podman inspect --format '{{index .Config.Labels "tbx.image-digest"}}' llama-vulkan-radv)" "$want" \
	"the container runs the rebuilt digest"
check "Podman fetched the new manifest from the token registry" \
	test "$(reg_count "$mark" '"GET /v2/kyuz0/amd-strix-halo-toolboxes/manifests/[^ ]* HTTP/1.1" 200')" -ge 1
check "with a token of its own" test "$(($(tokens_by podman) - p0))" -ge 1

# --- a repository that needs credentials (Basic to the token endpoint)
sed -e 's#kyuz0/amd-strix-halo-toolboxes:vulkan-radv#kyuz0/private-toolboxes:vulkan-radv#' \
	-e 's#"llama-vulkan-radv"#"llama-private"#' -e 's#"aliases": \[[^]]*\]#"aliases": []#' \
	"$TBX_HOME/containers/vulkan-radv.json" >"$TBX_HOME/containers/private.json"
t0=$(scope_count kyuz0/private-toolboxes) a0=$(tokens_by tbx)
run tbx refresh private
is "$rc" 0 "refresh of the credentialed repository"
like "$out" "private: created" "its container is created"
is "$(($(scope_count kyuz0/private-toolboxes) - t0 > 0))" 1 "a token was asked for it"
check "tbx sent the credentials to the token endpoint" \
	jqe --slurp 'any(.[]; .agent == "tbx" and .basic and (.scope[0] | startswith("repository:kyuz0/private-toolboxes:")))' \
	"$TB_TOKEN_REQUESTS_LOG"
is "$(jq '[.tokens[]? | select(.repo == "kyuz0/private-toolboxes")] | length' "$cache")" 0 \
	"the token obtained with credentials is not written to disk"
unlike "$(cat "$cache")" "tbx-test:|SECRET|dGJ4LXRlc3Q6" "no credential in the cache"
unlike "$out$err" "SECRET|dGJ4LXRlc3" "no credential printed"
t0=$(tokens_by tbx)
run tbx status
is "$rc" 0 "status of five backends over two repositories"
is "$(($(tokens_by tbx) - t0))" 1 "one token request: the credentialed repository's (the other is cached)"

# --- insufficient_scope: the same repository without credentials
echo '{"auths": {}}' >"$T/empty-auth.json"
t0=$(tokens_by tbx)
before=$(container_id llama-private)
run env REGISTRY_AUTH_FILE="$T/empty-auth.json" "$TBX_BIN" --url "$TB_URL" refresh private
is "$rc" 1 "refresh without credentials fails"
like "$out$err" "access denied to docker.io/kyuz0/private-toolboxes \(HTTP 401, insufficient_scope\)" \
	"insufficient_scope is said"
is "$(printf '%s\n' "$out" | grep -c 'insufficient_scope')" 1 "once (the tag list walk does not say it again)"
is "$(($(tokens_by tbx) - t0))" 1 "one token request, not retried"
is "$(container_id llama-private)" "$before" "the container is kept"
rm -f "$TBX_HOME/containers/private.json"
podman rm -f llama-private >/dev/null 2>&1

# --- a token expiring mid-command is renewed: 3 s tokens (2 to 3 s at the
# registry: exp is in whole seconds), and new connections that take 4 s
# (chunks 50 ms): the token, asked first (the challenge is remembered), has
# expired when the HEADs on their new connections arrive; the registry
# refuses it, one new token comes and the HEADs are asked again on their
# kept connections, well within its life
control expires-in 3
control delay-ms "50 4000"
sleep 1.5 # the proxy reads its delays once a second
jq 'del(.tokens)' "$cache" >"$cache.tmp" && mv "$cache.tmp" "$cache"
t0=$(tokens_by tbx)
mark=$(reg_mark)
run tbx status
is "$rc" 0 "status with a token that expires during it"
unlike "$out$err" "stale|error|denied|401" "every backend answered"
if printf '%s' "$out$err" | grep -Eq "stale|error|denied|401"; then # what the registry saw
	tail -n +"$((mark + 1))" "$TB_TOKEN_REGISTRY_LOG" | sed 's/^/#   registry: /' | head -n 40
fi
is "$(reg_count "$mark" '"HEAD /v2/[^ ]*/manifests/[^ ]* HTTP/1.1" 401')" 5 "the expired token was refused"
is "$(($(tokens_by tbx) - t0))" 2 "one new token for all: two token requests in all"
control expires-in 300
control delay-ms 50
sleep 1.5

# --- bad token services: one line per backend, nothing changed
ids_before=$(for n in llama-rocm-6.4.4 llama-rocm-7.2 llama-rocm7-nightlies llama-vulkan-radv; do container_id $n; done)
for mode in garbage huge noexpiry down; do
	rm -f "$cache"
	control mode "$mode"
	run tbx refresh
	if [ "$mode" = noexpiry ]; then
		is "$rc" 0 "token answer without expires_in: accepted (60 s)"
		is "$(jq '.tokens[0].lifetime' "$cache")" 60 "kept for the spec's default 60 s"
		continue
	fi
	is "$rc" 1 "token service '$mode': refresh fails"
	is "$(printf '%s\n' "$err" | grep -c 'cannot get a token for docker.io')" 4 "'$mode': one line per backend"
	unlike "$out$err" "SECRET|eyJ" "'$mode': no token or credential printed"
done
control mode normal
like "$(printf '%s\n' "$err" | head -n 1)" "cannot get a token for docker.io: http://127\.0\.0\.1:[0-9]+/token\?" "a token service that is down is named"
is "$(for n in llama-rocm-6.4.4 llama-rocm-7.2 llama-rocm7-nightlies llama-vulkan-radv; do container_id $n; done)" \
	"$ids_before" "no container changed"

done_testing
