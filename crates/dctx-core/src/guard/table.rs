//! Every docker command, classed by what it sends to the engine: `read`
//! (nothing that changes it), `write` (changes its state), `destructive`
//! (removes, prunes, stops, pauses, redeploys, drains or disconnects).
//! Where a flag changes the class (`node update --availability drain`), the
//! row says so as data. The CLI's own commands are held against the
//! installed CLI's help and against what it sends to a recording engine
//! (`tests/integration/guard_table.rs`); the compose and buildx rows come
//! from those plugins' documentation and cannot be checked here.

use serde::{Deserialize, Serialize};

/// What a command does to the engine it reaches, weakest first.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    /// Sends no request that changes anything.
    #[default]
    Read,
    /// Changes the engine's state: creates, starts, runs, pulls, tags.
    Write,
    /// Takes something away: removes, prunes, stops, pauses, redeploys,
    /// drains, disconnects.
    Destructive,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Read => "read",
            Class::Write => "write",
            Class::Destructive => "destructive",
        }
    }
}

/// A flag that changes a command's class when given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct When {
    /// The flag's long name.
    pub flag: &'static str,
    /// The values that count; empty: any value (for a boolean flag, any
    /// but false).
    pub values: &'static [&'static str],
    pub class: Class,
    pub why: &'static str,
}

/// One command: its class without flags, why, and the flags that change it
/// (the strongest matching one wins over the base class).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    /// The command, aliases resolved (`container rm`, not `rm`).
    pub command: &'static str,
    pub class: Class,
    pub why: &'static str,
    pub when: &'static [When],
}

use Class::{Destructive as D, Read as R, Write as W};

const fn row(command: &'static str, class: Class, why: &'static str) -> Row {
    Row {
        command,
        class,
        why,
        when: &[],
    }
}

const fn when(
    flag: &'static str,
    values: &'static [&'static str],
    class: Class,
    why: &'static str,
) -> When {
    When {
        flag,
        values,
        class,
        why,
    }
}

const NO_ENGINE: &str = "talks to no engine (Docker's config dir only)";
const REGISTRY: &str = "talks to a registry or notary server, not to the engine";

/// The table. The first word of a row is a top-level command, a management
/// command or a plugin (`compose`, `buildx`).
#[rustfmt::skip]
pub const ROWS: &[Row] = &[
    row("builder prune", D, "removes build cache"),
    Row {
        command: "checkpoint create",
        class: D,
        why: "checkpoints a container and stops it",
        when: &[when("leave-running", &[], W, "checkpoints a container and leaves it running")],
    },
    row("checkpoint ls", R, "lists checkpoints"),
    row("checkpoint rm", D, "removes a checkpoint"),
    row("container attach", W, "sends input and signals to a running container"),
    row("container commit", W, "creates an image (pausing the container meanwhile)"),
    row("container cp", W, "copies into a container (out of one it only reads, but the direction is in the arguments)"),
    row("container create", W, "creates a container"),
    row("container diff", R, "shows a container's changed files"),
    row("container exec", W, "runs a process in a container"),
    row("container export", R, "streams a container's filesystem out"),
    row("container inspect", R, "shows a container"),
    row("container kill", D, "kills containers"),
    row("container logs", R, "shows a container's output"),
    row("container ls", R, "lists containers"),
    row("container pause", D, "freezes every process of containers"),
    row("container port", R, "shows port mappings"),
    row("container prune", D, "removes every stopped container"),
    row("container rename", W, "renames a container"),
    row("container restart", D, "stops and starts containers"),
    row("container rm", D, "removes containers"),
    row("container run", W, "creates and starts a container"),
    row("container start", W, "starts containers"),
    row("container stats", R, "shows resource usage"),
    row("container stop", D, "stops containers"),
    row("container top", R, "shows a container's processes"),
    row("container unpause", W, "resumes paused containers"),
    row("container update", W, "changes containers' resources and restart policy"),
    row("container wait", R, "waits for containers to stop (a POST that changes nothing)"),
    row("context create", R, NO_ENGINE),
    row("context export", R, NO_ENGINE),
    row("context import", R, NO_ENGINE),
    row("context inspect", R, NO_ENGINE),
    row("context ls", R, NO_ENGINE),
    row("context rm", R, NO_ENGINE),
    row("context show", R, NO_ENGINE),
    row("context update", R, NO_ENGINE),
    row("context use", R, NO_ENGINE),
    row("image build", W, "builds an image"),
    row("image history", R, "shows an image's layers"),
    row("image import", W, "creates an image from a tarball"),
    row("image inspect", R, "shows an image"),
    row("image load", W, "loads images"),
    row("image ls", R, "lists images"),
    row("image prune", D, "removes unused images"),
    row("image pull", W, "pulls an image"),
    row("image push", W, "pushes an image to a registry through the engine"),
    row("image rm", D, "removes images"),
    row("image save", R, "streams images out"),
    row("image tag", W, "tags an image"),
    row("inspect", R, "shows objects"),
    row("login", R, "has the engine check credentials (POST /auth, which stores nothing)"),
    row("logout", R, NO_ENGINE),
    row("manifest annotate", R, REGISTRY),
    row("manifest create", R, REGISTRY),
    row("manifest inspect", R, REGISTRY),
    row("manifest push", R, REGISTRY),
    row("manifest rm", R, REGISTRY),
    row("network connect", W, "connects a container to a network"),
    row("network create", W, "creates a network"),
    row("network disconnect", D, "cuts a container off a network"),
    row("network inspect", R, "shows networks"),
    row("network ls", R, "lists networks"),
    row("network prune", D, "removes unused networks"),
    row("network rm", D, "removes networks"),
    row("node demote", D, "demotes managers"),
    row("node inspect", R, "shows nodes"),
    row("node ls", R, "lists nodes"),
    row("node promote", W, "promotes nodes to managers"),
    row("node ps", R, "lists a node's tasks"),
    row("node rm", D, "removes nodes from the swarm"),
    Row {
        command: "node update",
        class: W,
        why: "changes a node's labels",
        when: &[
            when("availability", &["drain", "pause"], D, "drains or pauses a node"),
            when("role", &[], D, "changes a node's role"),
        ],
    },
    row("plugin create", W, "creates a plugin"),
    row("plugin disable", D, "disables a plugin"),
    row("plugin enable", W, "enables a plugin"),
    row("plugin inspect", R, "shows plugins"),
    row("plugin install", W, "installs a plugin"),
    row("plugin ls", R, "lists plugins"),
    row("plugin push", W, "pushes a plugin to a registry through the engine"),
    row("plugin rm", D, "removes plugins"),
    row("plugin set", W, "changes a plugin's settings"),
    row("plugin upgrade", W, "upgrades a plugin"),
    row("search", R, "searches Docker Hub through the engine"),
    row("config create", W, "creates a config"),
    row("config inspect", R, "shows configs"),
    row("config ls", R, "lists configs"),
    row("config rm", D, "removes configs"),
    row("secret create", W, "creates a secret"),
    row("secret inspect", R, "shows secrets"),
    row("secret ls", R, "lists secrets"),
    row("secret rm", D, "removes secrets"),
    row("service create", W, "creates a service"),
    row("service inspect", R, "shows services"),
    row("service logs", R, "shows a service's output"),
    row("service ls", R, "lists services"),
    row("service ps", R, "lists a service's tasks"),
    row("service rm", D, "removes services"),
    row("service rollback", D, "redeploys a service's previous spec"),
    row("service scale", D, "scales services (down stops tasks)"),
    row("service update", D, "redeploys a service"),
    row("stack config", R, "prints a merged compose file"),
    row("stack deploy", D, "redeploys a stack's services"),
    row("stack ls", R, "lists stacks"),
    row("stack ps", R, "lists a stack's tasks"),
    row("stack rm", D, "removes a stack"),
    row("stack services", R, "lists a stack's services"),
    Row {
        command: "swarm ca",
        class: R,
        why: "shows the swarm's root CA",
        when: &[
            when("rotate", &[], W, "rotates the swarm's root CA"),
            when("ca-cert", &[], W, "changes the swarm's root CA"),
            when("ca-key", &[], W, "changes the swarm's root CA"),
            when("external-ca", &[], W, "changes the swarm's root CA"),
            when("cert-expiry", &[], W, "changes the swarm's certificates"),
        ],
    },
    Row {
        command: "swarm init",
        class: W,
        why: "creates a swarm",
        when: &[when("force-new-cluster", &[], D, "forces a new cluster from this node's state, dropping the others")],
    },
    row("swarm join", W, "joins a swarm"),
    Row {
        command: "swarm join-token",
        class: R,
        why: "shows a join token",
        when: &[when("rotate", &[], W, "rotates a join token")],
    },
    row("swarm leave", D, "leaves the swarm"),
    row("swarm unlock", W, "unlocks a swarm"),
    Row {
        command: "swarm unlock-key",
        class: R,
        why: "shows the unlock key",
        when: &[when("rotate", &[], W, "rotates the unlock key")],
    },
    row("swarm update", W, "changes the swarm's settings"),
    row("system df", R, "shows disk usage"),
    row("system events", R, "streams events"),
    row("system info", R, "shows the engine"),
    row("system prune", D, "removes every unused object"),
    row("trust inspect", R, REGISTRY),
    row("trust key generate", R, "creates a key on this machine; talks to no engine"),
    row("trust key load", R, "loads a key on this machine; talks to no engine"),
    row("trust revoke", R, REGISTRY),
    row("trust sign", W, "signs an image and pushes it through the engine"),
    row("trust signer add", R, REGISTRY),
    row("trust signer remove", R, REGISTRY),
    row("version", R, "shows versions"),
    row("volume create", W, "creates a volume"),
    row("volume inspect", R, "shows volumes"),
    row("volume ls", R, "lists volumes"),
    row("volume prune", D, "removes unused volumes"),
    row("volume rm", D, "removes volumes"),
    Row {
        command: "volume update",
        class: W,
        why: "changes a cluster volume",
        when: &[when("availability", &["drain", "pause"], D, "drains or pauses a cluster volume")],
    },
    // The compose plugin (docker/compose v2): not installed here, so these
    // rows follow its documentation.
    row("compose attach", W, "sends input and signals to a service's container"),
    row("compose build", W, "builds images"),
    row("compose commit", W, "creates an image from a container"),
    row("compose config", R, "prints the merged compose file"),
    row("compose cp", W, "copies into a container (or out of one)"),
    row("compose create", W, "creates containers"),
    row("compose down", D, "stops and removes containers and networks"),
    row("compose events", R, "streams events"),
    row("compose exec", W, "runs a process in a container"),
    row("compose export", R, "streams a container's filesystem out"),
    row("compose images", R, "lists images"),
    row("compose kill", D, "kills containers"),
    row("compose logs", R, "shows output"),
    row("compose ls", R, "lists projects"),
    row("compose pause", D, "freezes containers"),
    row("compose port", R, "shows port mappings"),
    row("compose ps", R, "lists containers"),
    row("compose pull", W, "pulls images"),
    row("compose push", W, "pushes images through the engine"),
    row("compose restart", D, "restarts containers"),
    row("compose rm", D, "removes containers"),
    row("compose run", W, "runs a one-off container"),
    row("compose scale", D, "scales services (down removes containers)"),
    row("compose start", W, "starts containers"),
    row("compose stats", R, "shows resource usage"),
    row("compose stop", D, "stops containers"),
    row("compose top", R, "shows processes"),
    row("compose unpause", W, "resumes containers"),
    row("compose up", D, "recreates changed containers: a redeploy"),
    row("compose version", R, "shows its version"),
    row("compose volumes", R, "lists volumes"),
    Row {
        command: "compose wait",
        class: R,
        why: "waits for containers to stop",
        when: &[when("down-project", &[], D, "takes the project down afterwards")],
    },
    row("compose watch", D, "rebuilds and recreates containers as files change"),
    // The buildx plugin; `docker builder X` runs `docker buildx X` when it
    // is installed.
    row("buildx bake", W, "builds images"),
    row("buildx build", W, "builds an image"),
    row("buildx create", W, "creates a builder (a container on a docker-container driver)"),
    row("buildx du", R, "shows build cache usage"),
    row("buildx imagetools", R, REGISTRY),
    Row {
        command: "buildx inspect",
        class: R,
        why: "shows a builder",
        when: &[when("bootstrap", &[], W, "starts the builder")],
    },
    row("buildx ls", R, "lists builders"),
    row("buildx prune", D, "removes build cache"),
    row("buildx rm", D, "removes a builder and its cache"),
    row("buildx stop", D, "stops a builder"),
    row("buildx use", R, NO_ENGINE),
    row("buildx version", R, "shows its version"),
];

/// The plugins the table has rows for (their flags in front of a
/// subcommand are read with `commands`' tables).
pub const PLUGINS: &[&str] = &["buildx", "compose"];

/// The flags of each of the CLI's commands, as its help lists them (the
/// integration tests hold this against the installed CLI): `-s --long` a
/// boolean, `--long=` one that takes a value. The middle field: whether
/// flags may follow the first argument (`false` for `run`, whose flags end
/// where the container's command starts).
pub const FLAGS: &[(&str, bool, &str)] = &[
    (
        "builder prune",
        true,
        "-a --all, --filter=, -f --force, --keep-storage=",
    ),
    (
        "checkpoint create",
        true,
        "--checkpoint-dir=, --leave-running",
    ),
    ("checkpoint ls", true, "--checkpoint-dir="),
    ("checkpoint rm", true, "--checkpoint-dir="),
    (
        "container attach",
        true,
        "--detach-keys=, --no-stdin, --sig-proxy",
    ),
    (
        "container commit",
        false,
        "-a --author=, -c --change=, -m --message=, -p --pause",
    ),
    (
        "container cp",
        true,
        "-a --archive, -L --follow-link, -q --quiet",
    ),
    (
        "container create",
        false,
        "--add-host=, --annotation=, -a --attach=, --blkio-weight=, \
         --blkio-weight-device=, --cap-add=, --cap-drop=, --cgroup-parent=, \
         --cgroupns=, --cidfile=, --cpu-count=, --cpu-percent=, --cpu-period=, \
         --cpu-quota=, --cpu-rt-period=, --cpu-rt-runtime=, -c --cpu-shares=, \
         --cpus=, --cpuset-cpus=, --cpuset-mems=, --device=, \
         --device-cgroup-rule=, --device-read-bps=, --device-read-iops=, \
         --device-write-bps=, --device-write-iops=, --disable-content-trust, \
         --dns=, --dns-option=, --dns-search=, --domainname=, --entrypoint=, -e \
         --env=, --env-file=, --expose=, --gpus=, --group-add=, --health-cmd=, \
         --health-interval=, --health-retries=, --health-start-interval=, \
         --health-start-period=, --health-timeout=, --help, -h --hostname=, \
         --init, -i --interactive, --io-maxbandwidth=, --io-maxiops=, --ip=, \
         --ip6=, --ipc=, --isolation=, --kernel-memory=, -l --label=, \
         --label-file=, --link=, --link-local-ip=, --log-driver=, --log-opt=, \
         --mac-address=, -m --memory=, --memory-reservation=, --memory-swap=, \
         --memory-swappiness=, --mount=, --name=, --network=, --network-alias=, \
         --no-healthcheck, --oom-kill-disable, --oom-score-adj=, --pid=, \
         --pids-limit=, --platform=, --privileged, -p --publish=, -P \
         --publish-all, --pull=, -q --quiet, --read-only, --restart=, --rm, \
         --runtime=, --security-opt=, --shm-size=, --stop-signal=, \
         --stop-timeout=, --storage-opt=, --sysctl=, --tmpfs=, -t --tty, \
         --ulimit=, --use-api-socket, -u --user=, --userns=, --uts=, -v \
         --volume=, --volume-driver=, --volumes-from=, -w --workdir=",
    ),
    ("container diff", true, ""),
    (
        "container exec",
        false,
        "-d --detach, --detach-keys=, -e --env=, --env-file=, -i --interactive, \
         --privileged, -t --tty, -u --user=, -w --workdir=",
    ),
    ("container export", true, "-o --output="),
    ("container inspect", true, "-f --format=, -s --size"),
    ("container kill", true, "-s --signal="),
    (
        "container logs",
        true,
        "--details, -f --follow, --since=, -n --tail=, -t --timestamps, \
         --until=",
    ),
    (
        "container ls",
        true,
        "-a --all, -f --filter=, --format=, -n --last=, -l --latest, \
         --no-trunc, -q --quiet, -s --size",
    ),
    ("container pause", true, ""),
    ("container port", true, ""),
    ("container prune", true, "--filter=, -f --force"),
    ("container rename", true, ""),
    ("container restart", true, "-s --signal=, -t --timeout="),
    ("container rm", true, "-f --force, -l --link, -v --volumes"),
    (
        "container run",
        false,
        "--add-host=, --annotation=, -a --attach=, --blkio-weight=, \
         --blkio-weight-device=, --cap-add=, --cap-drop=, --cgroup-parent=, \
         --cgroupns=, --cidfile=, --cpu-count=, --cpu-percent=, --cpu-period=, \
         --cpu-quota=, --cpu-rt-period=, --cpu-rt-runtime=, -c --cpu-shares=, \
         --cpus=, --cpuset-cpus=, --cpuset-mems=, -d --detach, --detach-keys=, \
         --device=, --device-cgroup-rule=, --device-read-bps=, \
         --device-read-iops=, --device-write-bps=, --device-write-iops=, \
         --disable-content-trust, --dns=, --dns-option=, --dns-search=, \
         --domainname=, --entrypoint=, -e --env=, --env-file=, --expose=, \
         --gpus=, --group-add=, --health-cmd=, --health-interval=, \
         --health-retries=, --health-start-interval=, --health-start-period=, \
         --health-timeout=, --help, -h --hostname=, --init, -i --interactive, \
         --io-maxbandwidth=, --io-maxiops=, --ip=, --ip6=, --ipc=, \
         --isolation=, --kernel-memory=, -l --label=, --label-file=, --link=, \
         --link-local-ip=, --log-driver=, --log-opt=, --mac-address=, -m \
         --memory=, --memory-reservation=, --memory-swap=, \
         --memory-swappiness=, --mount=, --name=, --network=, --network-alias=, \
         --no-healthcheck, --oom-kill-disable, --oom-score-adj=, --pid=, \
         --pids-limit=, --platform=, --privileged, -p --publish=, -P \
         --publish-all, --pull=, -q --quiet, --read-only, --restart=, --rm, \
         --runtime=, --security-opt=, --shm-size=, --sig-proxy, --stop-signal=, \
         --stop-timeout=, --storage-opt=, --sysctl=, --tmpfs=, -t --tty, \
         --ulimit=, --use-api-socket, -u --user=, --userns=, --uts=, -v \
         --volume=, --volume-driver=, --volumes-from=, -w --workdir=",
    ),
    (
        "container start",
        true,
        "-a --attach, --checkpoint=, --checkpoint-dir=, --detach-keys=, -i \
         --interactive",
    ),
    (
        "container stats",
        true,
        "-a --all, --format=, --no-stream, --no-trunc",
    ),
    ("container stop", true, "-s --signal=, -t --timeout="),
    ("container top", false, ""),
    ("container unpause", true, ""),
    (
        "container update",
        true,
        "--blkio-weight=, --cpu-period=, --cpu-quota=, --cpu-rt-period=, \
         --cpu-rt-runtime=, -c --cpu-shares=, --cpus=, --cpuset-cpus=, \
         --cpuset-mems=, -m --memory=, --memory-reservation=, --memory-swap=, \
         --pids-limit=, --restart=",
    ),
    ("container wait", true, ""),
    ("context create", true, "--description=, --docker=, --from="),
    ("context export", true, ""),
    ("context import", true, ""),
    ("context inspect", true, "-f --format="),
    ("context ls", true, "--format=, -q --quiet"),
    ("context rm", true, "-f --force"),
    ("context show", true, ""),
    ("context update", true, "--description=, --docker="),
    ("context use", true, ""),
    (
        "image build",
        true,
        "--add-host=, --build-arg=, --cache-from=, --cgroup-parent=, \
         --compress, --cpu-period=, --cpu-quota=, -c --cpu-shares=, \
         --cpuset-cpus=, --cpuset-mems=, --disable-content-trust, -f --file=, \
         --force-rm, --iidfile=, --isolation=, --label=, -m --memory=, \
         --memory-swap=, --network=, --no-cache, --platform=, --pull, -q \
         --quiet, --rm, --security-opt=, --shm-size=, --squash, -t --tag=, \
         --target=, --ulimit=",
    ),
    (
        "image history",
        true,
        "--format=, -H --human, --no-trunc, --platform=, -q --quiet",
    ),
    (
        "image import",
        true,
        "-c --change=, -m --message=, --platform=",
    ),
    ("image inspect", true, "-f --format=, --platform="),
    ("image load", true, "-i --input=, --platform=, -q --quiet"),
    (
        "image ls",
        true,
        "-a --all, --digests, -f --filter=, --format=, --no-trunc, -q --quiet, \
         --tree",
    ),
    ("image prune", true, "-a --all, --filter=, -f --force"),
    (
        "image pull",
        true,
        "-a --all-tags, --disable-content-trust, --platform=, -q --quiet",
    ),
    (
        "image push",
        true,
        "-a --all-tags, --disable-content-trust, --platform=, -q --quiet",
    ),
    ("image rm", true, "-f --force, --no-prune, --platform="),
    ("image save", true, "-o --output=, --platform="),
    ("image tag", false, ""),
    (
        "manifest annotate",
        true,
        "--arch=, --os=, --os-features=, --os-version=, --variant=",
    ),
    ("manifest create", true, "-a --amend, --insecure"),
    ("manifest inspect", true, "--insecure, -v --verbose"),
    ("manifest push", true, "--insecure, -p --purge"),
    ("manifest rm", true, ""),
    (
        "network connect",
        true,
        "--alias=, --driver-opt=, --gw-priority=, --ip=, --ip6=, --link=, \
         --link-local-ip=",
    ),
    (
        "network create",
        true,
        "--attachable, --aux-address=, --config-from=, --config-only, -d \
         --driver=, --gateway=, --ingress, --internal, --ip-range=, \
         --ipam-driver=, --ipam-opt=, --ipv4, --ipv6, --label=, -o --opt=, \
         --scope=, --subnet=",
    ),
    ("network disconnect", true, "-f --force"),
    ("network inspect", true, "-f --format=, -v --verbose"),
    (
        "network ls",
        true,
        "-f --filter=, --format=, --no-trunc, -q --quiet",
    ),
    ("network prune", true, "--filter=, -f --force"),
    ("network rm", true, "-f --force"),
    ("plugin create", true, "--compress"),
    ("plugin disable", true, "-f --force"),
    ("plugin enable", true, "--timeout="),
    ("plugin inspect", true, "-f --format="),
    (
        "plugin install",
        true,
        "--alias=, --disable, --disable-content-trust, --grant-all-permissions",
    ),
    (
        "plugin ls",
        true,
        "-f --filter=, --format=, --no-trunc, -q --quiet",
    ),
    ("plugin push", true, "--disable-content-trust"),
    ("plugin rm", true, "-f --force"),
    ("plugin set", true, ""),
    (
        "plugin upgrade",
        true,
        "--disable-content-trust, --grant-all-permissions, --skip-remote-check",
    ),
    ("system df", true, "--format=, -v --verbose"),
    (
        "system events",
        true,
        "-f --filter=, --format=, --since=, --until=",
    ),
    ("system info", true, "-f --format="),
    (
        "system prune",
        true,
        "-a --all, --filter=, -f --force, --volumes",
    ),
    ("trust key generate", true, "--dir="),
    ("trust key load", true, "--name="),
    ("trust signer add", true, "--key="),
    ("trust signer remove", true, "-f --force"),
    ("trust inspect", true, "--pretty"),
    ("trust revoke", true, "-y --yes"),
    ("trust sign", true, "--local"),
    (
        "volume create",
        true,
        "--availability=, -d --driver=, --group=, --label=, --limit-bytes=, -o \
         --opt=, --required-bytes=, --scope=, --secret=, --sharing=, \
         --topology-preferred=, --topology-required=, --type=",
    ),
    ("volume inspect", true, "-f --format="),
    (
        "volume ls",
        true,
        "--cluster, -f --filter=, --format=, -q --quiet",
    ),
    ("volume prune", true, "-a --all, --filter=, -f --force"),
    ("volume rm", true, "-f --force"),
    ("volume update", true, "--availability="),
    ("config create", true, "-l --label=, --template-driver="),
    ("config inspect", true, "-f --format=, --pretty"),
    ("config ls", true, "-f --filter=, --format=, -q --quiet"),
    ("config rm", true, ""),
    ("node demote", true, ""),
    ("node inspect", true, "-f --format=, --pretty"),
    ("node ls", true, "-f --filter=, --format=, -q --quiet"),
    ("node promote", true, ""),
    (
        "node ps",
        true,
        "-f --filter=, --format=, --no-resolve, --no-trunc, -q --quiet",
    ),
    ("node rm", true, "-f --force"),
    (
        "node update",
        true,
        "--availability=, --label-add=, --label-rm=, --role=",
    ),
    (
        "secret create",
        true,
        "-d --driver=, -l --label=, --template-driver=",
    ),
    ("secret inspect", true, "-f --format=, --pretty"),
    ("secret ls", true, "-f --filter=, --format=, -q --quiet"),
    ("secret rm", true, ""),
    (
        "service create",
        false,
        "--cap-add=, --cap-drop=, --config=, --constraint=, --container-label=, \
         --credential-spec=, -d --detach, --dns=, --dns-option=, --dns-search=, \
         --endpoint-mode=, --entrypoint=, -e --env=, --env-file=, \
         --generic-resource=, --group=, --health-cmd=, --health-interval=, \
         --health-retries=, --health-start-interval=, --health-start-period=, \
         --health-timeout=, --host=, --hostname=, --init, --isolation=, -l \
         --label=, --limit-cpu=, --limit-memory=, --limit-pids=, --log-driver=, \
         --log-opt=, --max-concurrent=, --mode=, --mount=, --name=, --network=, \
         --no-healthcheck, --no-resolve-image, --oom-score-adj=, \
         --placement-pref=, -p --publish=, -q --quiet, --read-only, \
         --replicas=, --replicas-max-per-node=, --reserve-cpu=, \
         --reserve-memory=, --restart-condition=, --restart-delay=, \
         --restart-max-attempts=, --restart-window=, --rollback-delay=, \
         --rollback-failure-action=, --rollback-max-failure-ratio=, \
         --rollback-monitor=, --rollback-order=, --rollback-parallelism=, \
         --secret=, --stop-grace-period=, --stop-signal=, --sysctl=, -t --tty, \
         --ulimit=, --update-delay=, --update-failure-action=, \
         --update-max-failure-ratio=, --update-monitor=, --update-order=, \
         --update-parallelism=, -u --user=, --with-registry-auth, -w --workdir=",
    ),
    ("service inspect", true, "-f --format=, --pretty"),
    (
        "service logs",
        true,
        "--details, -f --follow, --no-resolve, --no-task-ids, --no-trunc, \
         --raw, --since=, -n --tail=, -t --timestamps",
    ),
    ("service ls", true, "-f --filter=, --format=, -q --quiet"),
    (
        "service ps",
        true,
        "-f --filter=, --format=, --no-resolve, --no-trunc, -q --quiet",
    ),
    ("service rm", true, ""),
    ("service rollback", true, "-d --detach, -q --quiet"),
    ("service scale", true, "-d --detach"),
    (
        "service update",
        true,
        "--args=, --cap-add=, --cap-drop=, --config-add=, --config-rm=, \
         --constraint-add=, --constraint-rm=, --container-label-add=, \
         --container-label-rm=, --credential-spec=, -d --detach, --dns-add=, \
         --dns-option-add=, --dns-option-rm=, --dns-rm=, --dns-search-add=, \
         --dns-search-rm=, --endpoint-mode=, --entrypoint=, --env-add=, \
         --env-rm=, --force, --generic-resource-add=, --generic-resource-rm=, \
         --group-add=, --group-rm=, --health-cmd=, --health-interval=, \
         --health-retries=, --health-start-interval=, --health-start-period=, \
         --health-timeout=, --host-add=, --host-rm=, --hostname=, --image=, \
         --init, --isolation=, --label-add=, --label-rm=, --limit-cpu=, \
         --limit-memory=, --limit-pids=, --log-driver=, --log-opt=, \
         --max-concurrent=, --mount-add=, --mount-rm=, --network-add=, \
         --network-rm=, --no-healthcheck, --no-resolve-image, --oom-score-adj=, \
         --placement-pref-add=, --placement-pref-rm=, --publish-add=, \
         --publish-rm=, -q --quiet, --read-only, --replicas=, \
         --replicas-max-per-node=, --reserve-cpu=, --reserve-memory=, \
         --restart-condition=, --restart-delay=, --restart-max-attempts=, \
         --restart-window=, --rollback, --rollback-delay=, \
         --rollback-failure-action=, --rollback-max-failure-ratio=, \
         --rollback-monitor=, --rollback-order=, --rollback-parallelism=, \
         --secret-add=, --secret-rm=, --stop-grace-period=, --stop-signal=, \
         --sysctl-add=, --sysctl-rm=, -t --tty, --ulimit-add=, --ulimit-rm=, \
         --update-delay=, --update-failure-action=, \
         --update-max-failure-ratio=, --update-monitor=, --update-order=, \
         --update-parallelism=, -u --user=, --with-registry-auth, -w --workdir=",
    ),
    (
        "stack config",
        true,
        "-c --compose-file=, --skip-interpolation",
    ),
    (
        "stack deploy",
        true,
        "-c --compose-file=, -d --detach, --prune, -q --quiet, \
         --resolve-image=, --with-registry-auth",
    ),
    ("stack ls", true, "--format="),
    (
        "stack ps",
        true,
        "-f --filter=, --format=, --no-resolve, --no-trunc, -q --quiet",
    ),
    ("stack rm", true, "-d --detach"),
    (
        "stack services",
        true,
        "-f --filter=, --format=, -q --quiet",
    ),
    (
        "swarm ca",
        true,
        "--ca-cert=, --ca-key=, --cert-expiry=, -d --detach, --external-ca=, -q \
         --quiet, --rotate",
    ),
    (
        "swarm init",
        true,
        "--advertise-addr=, --autolock, --availability=, --cert-expiry=, \
         --data-path-addr=, --data-path-port=, --default-addr-pool=, \
         --default-addr-pool-mask-length=, --dispatcher-heartbeat=, \
         --external-ca=, --force-new-cluster, --listen-addr=, --max-snapshots=, \
         --snapshot-interval=, --task-history-limit=",
    ),
    (
        "swarm join",
        true,
        "--advertise-addr=, --availability=, --data-path-addr=, --listen-addr=, \
         --token=",
    ),
    ("swarm join-token", true, "-q --quiet, --rotate"),
    ("swarm leave", true, "-f --force"),
    ("swarm unlock", true, ""),
    ("swarm unlock-key", true, "-q --quiet, --rotate"),
    (
        "swarm update",
        true,
        "--autolock, --cert-expiry=, --dispatcher-heartbeat=, --external-ca=, \
         --max-snapshots=, --snapshot-interval=, --task-history-limit=",
    ),
    ("inspect", true, "-f --format=, -s --size, --type="),
    (
        "login",
        true,
        "-p --password=, --password-stdin, -u --username=",
    ),
    ("logout", true, ""),
    (
        "search",
        true,
        "-f --filter=, --format=, --limit=, --no-trunc",
    ),
    ("version", true, "-f --format="),
];
