//! The writers: `docker context use` switching contexts, meta.json files
//! replaced (as Docker replaces them: a temp file renamed over the old one),
//! removed and recreated, and a whole config dir deleted and recreated.
//! Each records the state it left in [`Truth`].

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use dctx_core::context_meta::meta_path;

use crate::control::Control;
use crate::truth::Truth;
use crate::world::{copy_tree, World, META_CONTEXTS, USE_CONTEXTS};

#[derive(Debug, Default)]
pub struct Stats {
    pub context_uses: u64,
    pub meta_replaced: u64,
    pub meta_recreated: u64,
    pub dir_recreated: u64,
}

/// Runs `change`, which other processes see all at once, and records the
/// state of `dir`'s environments after it.
fn step(
    world: &World,
    truth: &Truth,
    dir: &Path,
    change: impl FnOnce() -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let begin = Instant::now();
    let result = change();
    let end = Instant::now();
    if let Some(keys) = world.keys_by_dir.get(dir) {
        truth.changed(&world.envs, keys, begin, end);
    }
    result
}

/// [`step`] for a change that others see happen bit by bit.
fn gradual_step(
    world: &World,
    truth: &Truth,
    dir: &Path,
    change: impl FnOnce() -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let begin = Instant::now();
    let result = change();
    let end = Instant::now();
    if let Some(keys) = world.keys_by_dir.get(dir) {
        truth.changed_gradually(&world.envs, keys, begin, end);
    }
    result
}

pub fn context_use(
    world: &World,
    truth: &Truth,
    control: &Control,
    seed: u64,
) -> anyhow::Result<u64> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut count = 0;
    while !control.stopping() {
        let name = USE_CONTEXTS[rng.usize(..USE_CONTEXTS.len())];
        step(world, truth, &world.use_dir, || {
            world.docker(&world.use_dir, &["context", "use", name])
        })?;
        count += 1;
    }
    Ok(count)
}

fn write_meta(path: &Path, name: &str, serial: u64) -> anyhow::Result<()> {
    let meta = serde_json::json!({
        "Name": name,
        // Text a prompt must never interpret.
        "Metadata": {"Description": format!("soak #{serial} %F{{red}} #[bold] $HOME `id`")},
        "Endpoints": {"docker": {"Host": format!("tcp://10.1.{}.{}:2376", serial % 250, serial / 250 % 250), "SkipTLSVerify": false}},
    });
    let dir = path.parent().context("meta.json has a parent")?;
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".meta.json.{serial}"));
    std::fs::write(&tmp, serde_json::to_vec(&meta)?)?;
    std::fs::rename(&tmp, path).with_context(|| format!("could not replace {}", path.display()))
}

pub fn meta(
    world: &World,
    truth: &Truth,
    control: &Control,
    seed: u64,
) -> anyhow::Result<(u64, u64)> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let (mut replaced, mut recreated) = (0, 0);
    let mut serial = 0;
    while !control.stopping() {
        serial += 1;
        let name = META_CONTEXTS[rng.usize(..META_CONTEXTS.len())];
        let path = meta_path(&world.meta_dir, name);
        if rng.u32(..10) == 0 {
            // `docker context rm` then `create`, by hand.
            let dir = path.parent().context("meta.json has a parent")?;
            step(world, truth, &world.meta_dir, || {
                Ok(std::fs::remove_dir_all(dir)?)
            })?;
            control.nap(Duration::from_millis(5));
            step(world, truth, &world.meta_dir, || {
                write_meta(&path, name, serial)
            })?;
            recreated += 1;
        } else {
            step(world, truth, &world.meta_dir, || {
                write_meta(&path, name, serial)
            })?;
            replaced += 1;
        }
        control.nap(Duration::from_millis(3));
    }
    Ok((replaced, recreated))
}

pub fn recreate_dir(world: &World, truth: &Truth, control: &Control) -> anyhow::Result<u64> {
    let dir = &world.churn_dir;
    let staging = world.path().join("churn.new");
    let mut count = 0;
    while !control.stopping() {
        // `rm -rf`, file by file, as people delete a config dir.
        gradual_step(world, truth, dir, || Ok(std::fs::remove_dir_all(dir)?))?;
        control.nap(Duration::from_millis(20));
        let template = &world.churn_templates[count as usize % 2];
        copy_tree(template, &staging)?;
        step(world, truth, dir, || Ok(std::fs::rename(&staging, dir)?))?;
        count += 1;
        control.nap(Duration::from_millis(50));
    }
    Ok(count)
}
