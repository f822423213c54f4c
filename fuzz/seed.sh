#!/usr/bin/env bash
# Builds the fuzz corpora from real inputs: config.json and meta.json files
# written by the Docker CLI, DOCKER_HOST values the CLI accepts, the request
# lines dctx-prompt really sends, and the formats and settings the README
# documents. Usage: fuzz/seed.sh [path/to/dctx-prompt]  (run from anywhere)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
corpus=${here}/corpus
prompt=${1:-}
if [[ -z ${prompt} ]]; then
    # Where `cargo build` put it (.cargo/config.toml names a target).
    for candidate in "${here}"/../target/*/debug/dctx-prompt "${here}"/../target/debug/dctx-prompt; do
        if [[ -x ${candidate} ]]; then
            prompt=${candidate}
            break
        fi
    done
fi
command -v docker >/dev/null || { echo "seed.sh: the docker CLI is needed" >&2; exit 1; }
[[ -x ${prompt} ]] || { echo "seed.sh: no dctx-prompt at ${prompt} (cargo build first)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "${work}"' EXIT
for target in config_json meta_json docker_host protocol_request render settings_toml; do
    mkdir -p "${corpus}/${target}"
done

# Names a file after its content, as libFuzzer does, so reruns add nothing twice.
keep() {
    local target=$1 file=$2 sum
    sum=$(sha1sum "${file}" | cut -d' ' -f1)
    cp "${file}" "${corpus}/${target}/seed-${sum}"
}

keep_text() {
    local target=$1 text=$2
    printf '%s' "${text}" >"${work}/text"
    keep "${target}" "${work}/text"
}

# Docker-written config.json and meta.json.
export DOCKER_CONFIG=${work}/docker
mkdir -p "${DOCKER_CONFIG}"
# Fields Docker keeps when it rewrites config.json on `context use`.
cat >"${DOCKER_CONFIG}/config.json" <<'EOF'
{"auths":{"registry.example.com":{"auth":"dXNlcjpwYXNz"}},"credsStore":"desktop","psFormat":"table {{.Names}}","plugins":{"x":{"k":"v"}},"proxies":{"default":{"httpProxy":"http://proxy:3128"}}}
EOF
docker context create prod --description "Production (EU) — #1 \${PATH} \`x\`" \
    --docker "host=ssh://deploy@prod-01:2222" >/dev/null
docker context create staging.eu --docker "host=tcp://10.0.0.5:2376,skip-tls-verify=true" >/dev/null
docker context create a+b_c-d --description "" --docker "host=unix:///run/user/1000/docker.sock" >/dev/null
docker context create v6 --docker "host=tcp://[::1]:2375" >/dev/null
for name in prod staging.eu a+b_c-d v6 default; do
    docker context use "${name}" >/dev/null 2>&1
    keep config_json "${DOCKER_CONFIG}/config.json"
done
for meta in "${DOCKER_CONFIG}"/contexts/meta/*/meta.json; do
    keep meta_json "${meta}"
done

# DOCKER_HOST values the CLI accepts; the first byte is the TLS flag.
for host in tcp://1.2.3.4 tcp://1.2.3.4:2376 "tcp://[::1]" unix:///var/run/docker.sock \
    ssh://user@host:22 ssh://host npipe:////./pipe/docker_engine fd:// tcp://host/path; do
    if DOCKER_HOST=${host} docker context inspect --format '{{.Endpoints.docker.Host}}' >/dev/null 2>&1; then
        keep_text docker_host $'\x00'"${host}"
        keep_text docker_host $'\x01'"${host}"
    fi
done

# What dctx-prompt sends, caught by a listener standing in for the daemon.
runtime=${work}/runtime
mkdir -p "${runtime}/dctx"
chmod 0700 "${runtime}" "${runtime}/dctx"
python3 - "${runtime}/dctx/dctx.sock" "${work}/lines" <<'EOF' &
import socket, sys
server = socket.socket(socket.AF_UNIX)
server.bind(sys.argv[1])
server.listen()
server.settimeout(10)
with open(sys.argv[2], "wb") as out:
    for _ in range(3):
        try:
            conn, _ = server.accept()
        except socket.timeout:
            break
        conn.settimeout(0.3)
        try:
            while chunk := conn.recv(65536):
                out.write(chunk)
        except socket.timeout:
            pass
        conn.close()
EOF
listener=$!
for _ in $(seq 50); do [[ -S ${runtime}/dctx/dctx.sock ]] && break; sleep 0.05; done
for args in "--shell bash" "--shell tmux --tty /dev/pts/3" "--format {name}|{host} --shell zsh"; do
    # shellcheck disable=SC2086  # the args are meant to split
    XDG_RUNTIME_DIR=${runtime} DOCKER_CONTEXT=prod DOCKER_HOST='' TMUX=/tmp/tmux-0/default,1,0 \
        TMUX_PANE=%1 DCTX_NO_AUTOSTART=1 "${prompt}" ${args} >/dev/null 2>&1 || true
done
wait "${listener}" || true
while IFS= read -r line; do
    [[ -n ${line} ]] && keep_text protocol_request "${line}"
done <"${work}/lines"

# Formats and settings as the README documents them.
for format in "{name}" "🐳 {name}" "{name}|{host}" "{host}" "{name} ({description}) via {source}" "{{name}} {"; do
    keep_text render "${format}"
done
awk '/^```toml/{on=1; n++; next} /^```/{on=0} on{print > (dir "/toml-" n)}' dir="${work}" "${here}/../README.md"
for toml in "${work}"/toml-*; do
    keep settings_toml "${toml}"
done

for target in "${corpus}"/*; do
    seeds=("${target}"/*)
    echo "${target##*/}: ${#seeds[@]} seeds"
done
