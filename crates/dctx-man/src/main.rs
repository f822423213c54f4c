//! `dctx-man DIR`: writes the man pages (section 1) of `dctx`, each of its
//! subcommands, and `dctx-prompt` into DIR, from the same clap definitions
//! that `--help` prints, so the pages cannot drift from the binaries.
//!
//! A separate workspace binary rather than a `dctx man` subcommand: the
//! shipped binaries stay lean, and packaging runs this once at build time.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::CommandFactory;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args_os().skip(1);
    let (Some(dir), None) = (args.next(), args.next()) else {
        bail!("usage: dctx-man DIR  (writes dctx.1, dctx-SUBCOMMAND.1 and dctx-prompt.1)");
    };
    let dir = PathBuf::from(dir);
    std::fs::create_dir_all(&dir).with_context(|| format!("could not create {}", dir.display()))?;
    for command in [dctx::cli::Cli::command(), dctx_prompt::command()] {
        // One page per (sub)command: `man dctx-guard` works as `git` users expect.
        clap_mangen::generate_to(command, &dir)
            .with_context(|| format!("could not write the man pages into {}", dir.display()))?;
    }
    println!("{}", dir.display());
    Ok(())
}
