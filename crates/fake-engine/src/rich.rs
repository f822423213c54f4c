//! The answers of a fake engine told to answer everything: an experimental
//! swarm manager on which every container, image, network, volume,
//! service, node, secret, config and plugin asked after exists, every list
//! has one entry (labelled as part of a stack `app`), and every change
//! succeeds with a body that decodes as what the CLI expects as far as it
//! needs to. What is not here falls through to the plain fake's answers
//! (pings, version, prunes).

use super::{Behaviour, API_VERSION, FAKE_VERSION};

/// The labels every listed object has: a member of the stack `app`.
const STACK: &str = r#"{"com.docker.stack.namespace":"app"}"#;

/// The status, body and extra header lines for `method target`, or `None`
/// to answer as the plain fake. `state` is the swarm node's state.
pub(crate) fn answer(
    method: &str,
    target: &str,
    engine: &Behaviour,
    state: &str,
) -> Option<(&'static str, String, String)> {
    let path = target.split('?').next().unwrap_or_default();
    let path = match path.strip_prefix("/v") {
        Some(rest) => rest.find('/').map_or(path, |i| &rest[i..]),
        None => path,
    };
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let ok = |body: String| Some(("200 OK", body, String::new()));
    let container = |name: &str| {
        format!(
            r#"{{"Id":"c0ffee{name}","Name":"/{name}","Image":"sha256:1234","State":{{"Status":"running","Running":true,"Paused":false,"Pid":1}},"Config":{{"Image":"alpine","Tty":false,"OpenStdin":false,"Labels":{STACK}}},"HostConfig":{{"NetworkMode":"default"}},"NetworkSettings":{{"Ports":{{}},"Networks":{{}}}},"Mounts":[]}}"#
        )
    };
    let image = |name: &str| {
        format!(
            r#"{{"Id":"sha256:1234","RepoTags":["{name}"],"RepoDigests":[],"Created":"2024-01-01T00:00:00Z","Size":1,"Config":{{"Labels":{{}}}},"RootFS":{{"Type":"layers"}},"Os":"linux","Architecture":"amd64","Labels":{{}},"Containers":0}}"#
        )
    };
    let version = r#""Version":{"Index":1},"CreatedAt":"2024-01-01T00:00:00Z","UpdatedAt":"2024-01-01T00:00:00Z""#;
    let service = |name: &str| {
        let spec = format!(
            r#"{{"Name":"{name}","Labels":{STACK},"TaskTemplate":{{"ContainerSpec":{{"Image":"alpine"}}}},"Mode":{{"Replicated":{{"Replicas":1}}}}}}"#
        );
        format!(r#"{{"ID":"svc{name}",{version},"Spec":{spec},"PreviousSpec":{spec}}}"#)
    };
    let node = |name: &str| {
        format!(
            r#"{{"ID":"node{name}",{version},"Spec":{{"Role":"{role}","Availability":"active","Labels":{{}}}},"Description":{{"Hostname":"{name}","Engine":{{"EngineVersion":"{FAKE_VERSION}"}}}},"Status":{{"State":"ready","Addr":"10.0.0.1"}},"ManagerStatus":{{"Leader":true,"Reachability":"reachable","Addr":"10.0.0.1:2377"}}}}"#,
            // Promoting needs a worker, demoting a manager.
            role = if name.contains("worker") {
                "worker"
            } else {
                "manager"
            }
        )
    };
    let named = |kind: &str, name: &str| {
        format!(r#"{{"ID":"{kind}{name}",{version},"Spec":{{"Name":"{name}","Labels":{STACK}}}}}"#)
    };
    let network = |name: &str| {
        format!(
            r#"{{"Id":"net{name}","Name":"{name}","Driver":"overlay","Scope":"swarm","Labels":{STACK},"Containers":{{}},"Options":{{}},"IPAM":{{"Driver":"default","Config":[]}}}}"#
        )
    };
    let volume = |name: &str| {
        format!(
            r#"{{"Name":"{name}","Driver":"local","Mountpoint":"/v","Labels":{STACK},"Scope":"global","ClusterVolume":{{"ID":"cv{name}",{version},"Spec":{{"AccessMode":{{"Scope":"single","Sharing":"none"}},"Availability":"active"}}}}}}"#
        )
    };
    let plugin = |name: &str| {
        format!(
            r#"{{"Id":"plug{name}","Name":"{name}","PluginReference":"{name}","Enabled":{},"Settings":{{"Env":[],"Args":[],"Devices":[],"Mounts":[]}},"Config":{{"Interface":{{"Types":[]}},"Entrypoint":[],"Env":[],"Args":{{"Value":[]}}}}}}"#,
            // A plugin must be disabled to be upgraded.
            !name.contains("disabled")
        )
    };
    let (id, name) = (&engine.id, &engine.name);
    let manager = state == "active";
    match (method, parts.as_slice()) {
        ("GET", ["info"]) => ok(format!(
            r#"{{"ID":"{id}","Name":"{name}","ServerVersion":"{FAKE_VERSION}","OperatingSystem":"FakeOS","OSType":"linux","Architecture":"x86_64","Containers":1,"Images":1,"Swarm":{{"NodeID":"nodeself","LocalNodeState":"{state}","ControlAvailable":{manager},"Managers":1,"Nodes":1,"RemoteManagers":[{{"NodeID":"nodeself","Addr":"10.0.0.1:2377"}}]}}}}"#
        )),
        (_, ["_ping"]) => Some((
            "200 OK",
            "OK".into(),
            format!("Swarm: {state}/manager\r\nBuilder-Version: 1\r\n"),
        )),
        (_, ["version"]) | (_, ["containers" | "images" | "networks" | "volumes" | "build", "prune"]) => None,
        ("GET", ["containers", "json"]) => ok(format!("[{}]", container("web"))
            .replace(r#""Name":"/web""#, r#""Names":["/web"],"State":"running","Status":"Up""#)
            .replace(r#""State":{"Status":"running","Running":true,"Paused":false,"Pid":1},"#, "")),
        ("GET", ["containers", c, "json"]) => ok(container(c)),
        ("GET", ["containers", _, "top"]) => ok(r#"{"Titles":["PID"],"Processes":[["1"]]}"#.into()),
        ("GET", ["containers", _, "changes"] | ["containers", _, "checkpoints"]) => ok("[]".into()),
        ("HEAD" | "GET", ["containers", _, "archive"]) => {
            // `{"name":"tmp","size":4096,"mode":dir|0755,...}`, as the
            // X-Docker-Container-Path-Stat header carries it.
            let stat = "eyJuYW1lIjoidG1wIiwic2l6ZSI6NDA5NiwibW9kZSI6MjE0NzQ4NDE0MSwibXRpbWUiOiIyMDI0LTAxLTAxVDAwOjAwOjAwWiIsImxpbmtUYXJnZXQiOiIifQ==";
            Some(("200 OK", String::new(), format!("X-Docker-Container-Path-Stat: {stat}\r\n")))
        }
        ("GET", ["images", "json"]) => ok(format!("[{}]", image("alpine:latest"))),
        ("GET", ["images", "search"]) => ok("[]".into()),
        ("GET", ["images", _, "history"]) => ok("[]".into()),
        ("GET", ["images", rest @ ..]) if rest.last() == Some(&"json") => {
            ok(image(&rest[..rest.len() - 1].join("/")))
        }
        ("GET", ["distribution", ..]) => ok(
            r#"{"Descriptor":{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":1},"Platforms":[{"architecture":"amd64","os":"linux"}]}"#.into(),
        ),
        ("GET", ["networks"]) => ok(format!("[{}]", network("app_default"))),
        ("GET", ["networks", n]) => ok(network(n)),
        ("GET", ["volumes"]) => ok(format!(r#"{{"Volumes":[{}],"Warnings":[]}}"#, volume("vol"))),
        ("GET", ["volumes", v]) => ok(volume(v)),
        ("GET", ["system", "df"]) => ok(r#"{"LayersSize":0,"Images":[],"Containers":[],"Volumes":[],"BuildCache":[]}"#.into()),
        ("GET", ["swarm"]) => ok(format!(
            r#"{{"ID":"swarm1",{version},"Spec":{{"Name":"default","Orchestration":{{}},"Raft":{{}},"Dispatcher":{{}},"CAConfig":{{}},"TaskDefaults":{{}},"EncryptionConfig":{{"AutoLockManagers":true}}}},"JoinTokens":{{"Worker":"SWMTKN-1-worker","Manager":"SWMTKN-1-manager"}},"TLSInfo":{{"TrustRoot":"-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"}},"RootRotationInProgress":false}}"#
        )),
        ("GET", ["swarm", "unlockkey"]) => ok(r#"{"UnlockKey":"SWMKEY-1-fake"}"#.into()),
        ("GET", ["services"]) => ok(format!("[{}]", service("app_web"))),
        ("GET", ["services", s]) => ok(service(s)),
        ("GET", ["tasks"]) => ok("[]".into()),
        ("GET", ["nodes"]) => ok(format!("[{}]", node("self"))),
        ("GET", ["nodes", n]) => ok(node(n)),
        ("GET", [kind @ ("secrets" | "configs")]) => ok(format!("[{}]", named(kind, "app_x"))),
        ("GET", [kind @ ("secrets" | "configs"), n]) => ok(named(kind, n)),
        ("GET", ["plugins"]) => ok(format!("[{}]", plugin("plug:latest"))),
        ("GET", ["plugins", "privileges"]) => ok("[]".into()),
        ("GET", ["plugins", rest @ ..]) if rest.last() == Some(&"json") => {
            ok(plugin(&rest[..rest.len() - 1].join("/")))
        }
        ("GET", ["exec", _, "json"]) => ok(r#"{"Running":false,"ExitCode":0}"#.into()),
        ("POST", ["swarm", "init" | "join"]) => ok(r#""nodeself""#.into()),
        ("POST", ["containers", _, "wait"]) => ok(r#"{"StatusCode":0}"#.into()),
        ("DELETE", ["images", ..]) => ok(r#"[{"Untagged":"alpine:latest"}]"#.into()),
        // Every other change succeeds, with a body that has the fields the
        // CLI reads from the usual answers (Go's decoder ignores the rest).
        ("POST" | "PUT" | "DELETE", _) => ok(format!(
            r#"{{"Id":"c0ffee","ID":"c0ffee","Name":"vol","Driver":"local","Warnings":[],"StatusCode":0,"Status":"Login Succeeded","ApiVersion":"{API_VERSION}"}}"#
        )),
        _ => None,
    }
}
