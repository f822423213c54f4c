//! The private world of one run: a temporary HOME, runtime and state dirs,
//! the Docker config dirs the mutators change, and every environment a
//! shell may have.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context as _};
use dctx_core::Env;
use dctx_testkit::Sandbox;

/// Contexts in the dir that `docker context use` keeps switching.
pub const USE_CONTEXTS: &[&str] = &["c0", "c1", "c2", "c3", "c4", "default"];
/// Contexts whose meta.json files are replaced, removed and recreated.
pub const META_CONTEXTS: &[&str] = &["m0", "m1", "m2", "m3", "m4"];

pub struct World {
    sandbox: Sandbox,
    pub home: PathBuf,
    pub dctx: PathBuf,
    pub docker: PathBuf,
    /// Switched by `docker context use`.
    pub use_dir: PathBuf,
    /// Its meta.json files replaced, removed and recreated.
    pub meta_dir: PathBuf,
    /// Deleted and recreated whole, alternating between two trees.
    pub churn_dir: PathBuf,
    pub churn_templates: [PathBuf; 2],
    /// Every environment a shell can have; a shell's "key" indexes this.
    pub envs: Vec<Env>,
    /// The keys whose config dir is each dir.
    pub keys_by_dir: HashMap<PathBuf, Vec<usize>>,
}

impl World {
    pub fn create(dctx: PathBuf, docker: PathBuf) -> anyhow::Result<World> {
        let sandbox =
            Sandbox::new("dctx-soak-").context("could not create a temporary directory")?;
        let base = sandbox.path().to_path_buf();
        let mut world = World {
            home: sandbox.home(),
            dctx,
            docker,
            use_dir: base.join("use"),
            meta_dir: base.join("meta"),
            churn_dir: base.join("churn"),
            churn_templates: [base.join("template-0"), base.join("template-1")],
            envs: Vec::new(),
            keys_by_dir: HashMap::new(),
            sandbox,
        };
        world.populate()?;
        world.envs = environments(&world);
        for (key, env) in world.envs.iter().enumerate() {
            world
                .keys_by_dir
                .entry(env.config_dir())
                .or_default()
                .push(key);
        }
        Ok(world)
    }

    pub fn path(&self) -> &Path {
        self.sandbox.path()
    }

    /// A command that sees only this world (HOME, XDG dirs, PATH).
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = self.sandbox.command(program);
        cmd.env("LANG", "C.UTF-8");
        cmd
    }

    /// Runs the Docker CLI against `config`, failing with its stderr.
    pub fn docker(&self, config: &Path, args: &[&str]) -> anyhow::Result<()> {
        let out = self
            .command(&self.docker)
            .env("DOCKER_CONFIG", config)
            .args(args)
            .output()
            .with_context(|| format!("could not run {}", self.docker.display()))?;
        if !out.status.success() {
            bail!(
                "docker {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(())
    }

    pub fn socket(&self) -> PathBuf {
        self.sandbox.socket()
    }

    fn create_contexts(
        &self,
        config: &Path,
        names: &[&str],
        third_octet: u8,
    ) -> anyhow::Result<()> {
        for (i, name) in names.iter().enumerate().filter(|(_, n)| **n != "default") {
            let host = format!("host=tcp://10.0.{third_octet}.{i}:2375");
            self.docker(config, &["context", "create", name, "--docker", &host])?;
        }
        Ok(())
    }

    /// Every Docker file here is written by the Docker CLI, except the one
    /// malformed config.json a person might leave behind.
    fn populate(&self) -> anyhow::Result<()> {
        self.create_contexts(&self.use_dir, USE_CONTEXTS, 0)?;
        self.docker(&self.use_dir, &["context", "use", "c0"])?;
        self.create_contexts(&self.meta_dir, META_CONTEXTS, 1)?;
        self.docker(&self.meta_dir, &["context", "use", "m1"])?;
        let [t0, t1] = &self.churn_templates;
        self.create_contexts(t0, &["t0", "t1"], 2)?;
        self.docker(t0, &["context", "use", "t1"])?;
        copy_tree(t0, t1)?;
        std::fs::write(t1.join("config.json"), "{\"currentContext\": \"t0\",")?;
        copy_tree(t0, &self.churn_dir)?;
        let home_docker = self.home.join(".docker");
        self.create_contexts(&home_docker, &["home1"], 3)?;
        self.docker(&home_docker, &["context", "use", "home1"])?;
        Ok(())
    }
}

/// Each combination of config dir, DOCKER_CONTEXT, DOCKER_HOST and TLS.
fn environments(world: &World) -> Vec<Env> {
    let missing = world.path().join("missing");
    let configs = [
        Some(&world.use_dir),
        Some(&world.meta_dir),
        Some(&world.churn_dir),
        None,
        Some(&missing),
    ];
    let contexts = [None, Some("c1"), Some("m2"), Some("ghost")];
    let hosts = [None, Some("tcp://10.9.8.7"), Some("unix:///run/soak.sock")];
    let mut envs = Vec::new();
    for config in configs {
        for context in contexts {
            for host in hosts {
                for tls in [None, Some("1")] {
                    let vars = [
                        ("DOCKER_CONFIG", config.map(|p| p.display().to_string())),
                        ("DOCKER_CONTEXT", context.map(String::from)),
                        ("DOCKER_HOST", host.map(String::from)),
                        ("DOCKER_TLS_VERIFY", tls.map(String::from)),
                    ];
                    let vars = vars.into_iter().filter_map(|(k, v)| Some((k, v?)));
                    envs.push(Env::new(vars, Some(world.home.clone())));
                }
            }
        }
    }
    envs
}

/// Copies a directory tree ([`dctx_testkit::copy_tree`]).
pub fn copy_tree(from: &Path, to: &Path) -> anyhow::Result<()> {
    dctx_testkit::copy_tree(from, to)
        .with_context(|| format!("could not copy {} to {}", from.display(), to.display()))
}
