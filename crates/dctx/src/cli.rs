//! The command line: every subcommand and flag, with the help text users see.

use clap::{Parser, Subcommand};
use dctx_core::InitShell;

#[derive(Debug, Parser)]
#[command(
    name = "dctx",
    version = dctx_ipc::build_id::VERSION_LINE,
    about = "Always know which Docker daemon your next command will hit",
    long_about = "Always know which Docker daemon your next command will hit.\n\n\
        dctx resolves the active Docker context exactly as the Docker CLI does \
        (DOCKER_HOST, then DOCKER_CONTEXT, then currentContext in config.json, \
        then `default`) and shows it in your prompt and status bar. It only reads \
        Docker's files; it never writes to the Docker config dir.",
    after_help = "Prompt segments come from `dctx-prompt`; see `dctx-prompt --help`."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the current context name, exactly as `docker context show` does
    Show,
    /// Print the resolved context as JSON (name, source, host, description, exists, problem, engine)
    Inspect,
    /// Explain which context is in effect, why, what overrides what, and what is wrong
    Status,
    /// Switch this shell's context (DOCKER_CONTEXT), leaving other terminals
    /// and config.json alone; with no NAME, pick one from a list
    ///
    /// Needs the shell function that `dctx init` installs (a program
    /// cannot change its shell's variables). `dctx use -` goes back to this
    /// shell's previous choice, `dctx use --unset` back to following
    /// config.json, `dctx use --global NAME` runs `docker context use NAME`
    /// (every terminal that follows config.json switches).
    #[command(
        after_help = "Examples:\n  dctx use staging\n  dctx use -\n  dctx use --unset-host prod\n  dctx use            (a picker: fzf when installed)"
    )]
    Use(Choice),
    /// List the contexts, as `docker context ls` does, without starting
    /// docker: the one this shell uses is marked `*`, and why it is
    Ls {
        /// `table` (default) or `json`: one object per line, with the keys
        /// of `docker context ls --format json`
        #[arg(long, value_name = "FORMAT", default_value = "table",
              value_parser = ["table", "json"])]
        format: String,
        /// Print only the names, one per line (for completions)
        #[arg(long, conflicts_with = "format")]
        names: bool,
    },
    /// Run one command against context NAME: with DOCKER_CONTEXT=NAME and
    /// without DOCKER_HOST (which would override it), exit status passed
    /// through. Nothing else changes: not this shell, not config.json.
    #[command(after_help = "Example: dctx exec staging -- docker compose up -d")]
    Exec {
        /// The context (`default` included)
        name: String,
        /// The command and its arguments
        #[arg(last = true, required = true, value_name = "COMMAND")]
        command: Vec<std::ffi::OsString>,
    },
    /// Record the engine CONTEXT (default: the current one) reaches now as
    /// the one it must keep reaching
    ///
    /// Runs one probe (`docker --context CONTEXT info`) and keeps the
    /// engine's ID and name in dctx's state dir. When a later background
    /// probe ([engine] probe = …) sees another ID, every prompt using the
    /// context shows the identity-change marker, `dctx status` says what
    /// changed, and the guard refuses destructive commands to it until
    /// you pin again.
    Pin {
        /// The context (default: the one this shell uses)
        context: Option<String>,
    },
    /// Forget the pinned engine of CONTEXT (default: the current one)
    Unpin { context: Option<String> },
    /// Manage the per-user daemon that answers prompts from memory
    #[command(subcommand)]
    Daemon(DaemonCommand),
    /// Refuse destructive docker commands aimed at a protected context
    /// unless the command line names it with --context
    ///
    /// `dctx guard -- ARGS…` decides for `docker ARGS…` and then runs the
    /// real docker in its own place (exec), or refuses with exit status 77,
    /// the reason and the command to run instead. Every destructive command
    /// it sees is logged. `dctx init SHELL --guard` routes an interactive
    /// shell's `docker` through it; `dctx guard shim DIR` does the same for
    /// scripts and programs. `DCTX_GUARD=off docker …` bypasses it for one
    /// command, visibly, and is logged.
    #[command(
        args_conflicts_with_subcommands = true,
        after_help = "Examples:\n  dctx guard --explain -- system prune -af\n  dctx guard --explain --json -- --context prod compose down\n  dctx guard shim ~/.local/share/dctx/shim\n  dctx guard log -n 50\n\nSettings: [guard] in config.toml (protect, protect_all_but, mode, destructive,\nalso_destructive, not_destructive); see the README."
    )]
    Guard(GuardArgs),
    /// Print the shell integration: `eval "$(dctx init bash)"`,
    /// `eval "$(dctx init zsh)"`, `dctx init fish | source`
    ///
    /// It sets DCTX_SEGMENT (not exported) before every prompt; put
    /// ${DCTX_SEGMENT} in PS1/PROMPT (fish: call dctx_segment in
    /// fish_prompt), or pass --prompt to have it put first in your prompt.
    Init {
        #[arg(value_enum)]
        shell: InitShell,
        /// Also prepend the segment to the existing prompt
        #[arg(long)]
        prompt: bool,
        /// For starship's env_var module: plain text, exported while non-empty
        #[arg(long)]
        starship: bool,
        /// Leave out the completions for dctx and dctx-prompt
        #[arg(long)]
        no_completions: bool,
        /// Also route this shell's `docker` through `dctx guard` (interactive
        /// shells only; scripts use `dctx guard shim`)
        #[arg(long)]
        guard: bool,
    },
    /// Print completions for dctx and dctx-prompt, context names included
    /// (`dctx init` loads them already, unless --no-completions)
    Completions {
        #[arg(value_enum)]
        shell: InitShell,
    },
    /// Undo what dctx set up for you: stop the daemon and the prompt
    /// helpers, remove the guard's shim links and dctx's systemd user
    /// units, and list the startup-file lines that load dctx, to delete
    ///
    /// Docker's files are never touched; your startup files are only
    /// read. The binaries stay: the last line says how to remove them.
    Uninstall {
        /// Say what would be done; do nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// Find what could send a docker command to the wrong engine, and say
    /// how to fix it
    ///
    /// Where new shells get DOCKER_HOST and the other Docker variables
    /// (each installed shell's startup is run, traced, with no terminal
    /// and a time limit, and /etc/environment, environment.d and
    /// ~/.pam_environment are read), what is unsafe about your contexts
    /// (SSH as root, TCP without TLS, unverified TLS, readable keys, two
    /// contexts on one engine, production names the guard does not
    /// protect, a protected current context), and whether dctx's hook,
    /// guard, shim, daemon and settings are in place. Exits 1 when a
    /// finding is a danger.
    #[command(
        after_help = "Examples:\n  dctx doctor\n  dctx doctor --json | jq '.findings[] | select(.severity == \"danger\")'"
    )]
    Doctor {
        /// Print {"findings": [...]}, each with area, severity, kind,
        /// message, fix, and file and line where there is one
        #[arg(long)]
        json: bool,
    },
}

/// `dctx guard`'s arguments (see `guard.rs`).
#[derive(Debug, clap::Args)]
pub struct GuardArgs {
    #[command(subcommand)]
    pub command: Option<GuardCommand>,
    /// Print the decision and its reasons; run nothing (exit status 0)
    #[arg(long)]
    pub explain: bool,
    /// With --explain: one JSON object (context, host, source, command,
    /// destructive, protected, named, decision, reasons, instead)
    #[arg(long, requires = "explain")]
    pub json: bool,
    /// The line is for the standalone docker-compose, not docker (what
    /// the `docker-compose` function of `dctx init --guard` passes)
    #[arg(long, hide = true)]
    pub compose: bool,
    /// Quote the lines a refusal suggests for fish rather than sh (what
    /// the fish `docker` function of `dctx init --guard` passes)
    #[arg(long, hide = true)]
    pub fish: bool,
    /// The docker command line, after `--`
    #[arg(last = true, value_name = "DOCKER_ARGS")]
    pub args: Vec<std::ffi::OsString>,
}

#[derive(Debug, Subcommand)]
pub enum GuardCommand {
    /// Install DIR/docker, a link to this dctx that guards every docker
    /// command of the programs that find it first on PATH, then runs the
    /// real docker found further along PATH
    Shim {
        dir: std::path::PathBuf,
        /// Replace an existing DIR/docker that is not dctx
        #[arg(long)]
        force: bool,
    },
    /// Show the most recent destructive commands the guard saw
    Log {
        /// How many
        #[arg(short = 'n', long, default_value_t = 20)]
        lines: usize,
        /// The records as JSON lines
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum DaemonCommand {
    /// Run the daemon in the foreground, logging to stderr (level from DCTX_LOG)
    Run {
        /// Log to $XDG_STATE_HOME/dctx/daemon.log instead of stderr
        #[arg(long)]
        background: bool,
    },
    /// Start the daemon in the background if it is not running; returns once it answers
    Start,
    /// Ask the daemon to exit, and wait until it has
    Stop,
    /// Show the daemon's pid, uptime, version, watched dirs, shells and queries served
    Status,
}

/// What `dctx use` was asked for (see `switch.rs`).
#[derive(Debug, clap::Args)]
pub struct Choice {
    /// The context, `-` for the previous one, none for a picker
    #[arg(allow_hyphen_values = true)]
    pub name: Option<String>,
    /// Go back to following config.json's current context
    #[arg(long, conflicts_with_all = ["name", "global"])]
    pub unset: bool,
    /// Also unset DOCKER_HOST in this shell, which would override the choice
    #[arg(long)]
    pub unset_host: bool,
    /// Change config.json's current context instead, through the docker CLI
    #[arg(long, requires = "name")]
    pub global: bool,
    /// Print the shell code that makes the switch, for this shell (used
    /// by the function `dctx init` installs)
    #[arg(long, hide = true, value_enum, value_name = "SHELL")]
    pub emit: Option<InitShell>,
    /// With --emit: this shell's previous choice (empty: config.json)
    #[arg(long, hide = true, value_name = "NAME", allow_hyphen_values = true)]
    pub previous: Option<String>,
}
