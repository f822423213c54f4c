//! The `[guard]` settings and which targets they protect.
//!
//! ```toml
//! [guard]
//! protect = ["prod*", "*prod*", "production*"]  # context names (globs)
//! protect_all_but = ["default", "dev*"]         # or: every context but these
//! mode = "refuse"                                # or "confirm" (type the name)
//! refuse = "destructive"                         # or "writes": those too
//! destructive = ["system prune", "rm"]           # replaces the built-in list
//! also_destructive = ["restart"]                 # added to it
//! not_destructive = ["compose up"]               # taken out of it (then: write)
//! allow_off = false                              # DCTX_GUARD=off is refused
//! syslog = "/dev/log"                            # records to syslog too
//! syslog_facility = "user"                       # default "authpriv"
//! ```
//!
//! A system file's `[guard]` is a floor beneath the user's
//! ([`GuardSettings::with_floor`]): the user's file can only add.
//!
//! Entries are commands of the table (aliases allowed: `rmi` is
//! `image rm`); anything else is a settings error with the closest
//! commands as suggestions, so a typo never silently guards nothing.

use serde::Deserialize;

use super::commands::{builtin_table, canonical, is_cli_word, row, Class, Table, PLUGINS, ROWS};
use crate::settings::{glob_match, BUILTIN_DANGER_PATTERNS};

/// What a refusal may turn into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Refuse; the user reruns with `--context NAME`.
    Refuse,
    /// On a terminal, ask for the context's name to be typed; elsewhere
    /// refuse.
    Confirm,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardSettings {
    /// Context name patterns that are protected.
    pub protect: Vec<String>,
    /// When set, every context is protected but those matching these.
    pub protect_all_but: Option<Vec<String>>,
    pub mode: Mode,
    /// The classes of commands and the weakest one refused.
    pub table: Table,
    /// Whether `DCTX_GUARD=off` may turn the guard off for one command.
    pub allow_off: bool,
    /// Syslog sockets that get each guard record too.
    pub syslog: Vec<SyslogSink>,
    /// The file whose `protect`/`protect_all_but` these are (none: the
    /// built-ins), for reasons that say where a rule came from.
    pub protect_file: Option<String>,
    /// The file this layer was read from.
    pub file: Option<String>,
    /// Whether `mode` was written (a system file's written `refuse` is a
    /// floor; its unwritten default is not, so users may still confirm).
    pub mode_given: bool,
    /// The system settings' guard beneath this one: its protections and
    /// destructive commands stay whatever this layer says.
    pub floor: Option<Box<GuardSettings>>,
}

/// Where guard records go besides the audit log: a syslog datagram socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyslogSink {
    pub path: std::path::PathBuf,
    pub facility: Facility,
}

/// The syslog facility of guard records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Facility {
    /// `authpriv` (10): the guard's records are authorization decisions
    /// (who was let at which engine); this facility is the one syslog
    /// setups keep apart and readable by administrators only.
    AuthPriv,
    /// `user` (1), for setups that file everything else there.
    User,
}

impl Facility {
    /// Its number (RFC 5424 section 6.2.1).
    pub fn code(self) -> u8 {
        match self {
            Facility::AuthPriv => 10,
            Facility::User => 1,
        }
    }
}

impl Default for GuardSettings {
    fn default() -> Self {
        GuardSettings {
            protect: BUILTIN_DANGER_PATTERNS
                .iter()
                .map(|p| p.to_string())
                .collect(),
            protect_all_but: None,
            mode: Mode::Refuse,
            table: builtin_table(),
            allow_off: true,
            syslog: Vec::new(),
            protect_file: None,
            file: None,
            mode_given: false,
            floor: None,
        }
    }
}

/// `[guard]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGuard {
    protect: Option<Vec<String>>,
    protect_all_but: Option<Vec<String>>,
    mode: Option<String>,
    refuse: Option<String>,
    destructive: Option<Vec<String>>,
    also_destructive: Option<Vec<String>>,
    not_destructive: Option<Vec<String>>,
    allow_off: Option<bool>,
    syslog: Option<std::path::PathBuf>,
    syslog_facility: Option<String>,
}

/// One rule of the guard and the file it came from (`--explain --json`'s
/// `settings`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RuleSource {
    /// The `[guard]` key: `protect`, `destructive`, `mode`…
    pub setting: String,
    pub value: String,
    /// The file's path, or `built-in`.
    pub file: String,
}

impl GuardSettings {
    /// `raw` (from `file`) over these settings: what it leaves out stays.
    pub(crate) fn over(&self, raw: RawGuard, file: Option<&str>) -> Result<GuardSettings, String> {
        let mut s = GuardSettings {
            floor: None,
            file: file.map(str::to_string),
            ..self.clone()
        };
        if raw.protect.is_some() || raw.protect_all_but.is_some() {
            s.protect_file = s.file.clone();
        }
        if let Some(p) = raw.protect {
            s.protect = p;
        }
        if raw.protect_all_but.is_some() {
            s.protect_all_but = raw.protect_all_but;
        }
        s.mode_given = raw.mode.is_some();
        s.mode = match raw.mode.as_deref() {
            None => s.mode,
            Some("refuse") => Mode::Refuse,
            Some("confirm") => Mode::Confirm,
            Some(other) => {
                return Err(format!(
                    "guard.mode: {other:?} is neither \"refuse\" nor \"confirm\""
                ))
            }
        };
        s.table.refuse = match raw.refuse.as_deref() {
            None => s.table.refuse,
            Some("destructive") => Class::Destructive,
            Some("writes") => Class::Write,
            Some(other) => {
                return Err(format!(
                    "guard.refuse: {other:?} is neither \"destructive\" nor \"writes\""
                ))
            }
        };
        if let Some(allow) = raw.allow_off {
            s.allow_off = allow;
        }
        let facility = match raw.syslog_facility.as_deref() {
            None | Some("authpriv") => Facility::AuthPriv,
            Some("user") => Facility::User,
            Some(other) => {
                return Err(format!(
                    "guard.syslog_facility: {other:?} is neither \"authpriv\" nor \"user\""
                ))
            }
        };
        if let Some(path) = raw.syslog {
            if !path.is_absolute() {
                return Err(format!(
                    "guard.syslog: {:?} is not an absolute path to a socket",
                    path.display().to_string()
                ));
            }
            s.syslog.push(SyslogSink { path, facility });
        }
        let entries = |list: Vec<String>, key: &str, class: Class| {
            list.iter()
                .map(|e| entry(e, key).map(|c| (c, class)))
                .collect::<Result<Vec<_>, String>>()
        };
        if let Some(list) = raw.destructive {
            s.table.replaced = true;
            s.table
                .entries
                .extend(entries(list, "destructive", Class::Destructive)?);
        }
        if let Some(list) = raw.also_destructive {
            s.table
                .entries
                .extend(entries(list, "also_destructive", Class::Destructive)?);
        }
        if let Some(list) = raw.not_destructive {
            // Taken out of the destructive list, a command still changes
            // the engine: `refuse = "writes"` still refuses it.
            s.table
                .entries
                .extend(entries(list, "not_destructive", Class::Write)?);
        }
        Ok(s)
    }

    /// These (the user's) settings over `system`'s, which is their floor:
    /// the system's protections and destructive commands stay, the
    /// stricter `refuse` wins, a written `mode = "refuse"` stays, and
    /// `allow_off = false` there cannot be undone here.
    pub(crate) fn with_floor(mut self, system: GuardSettings) -> GuardSettings {
        let file = system.file.clone().unwrap_or_else(|| "built-in".into());
        self.table = self.table.with_floor(system.table.clone(), &file);
        if system.mode_given && system.mode == Mode::Refuse {
            self.mode = Mode::Refuse;
        }
        self.allow_off &= system.allow_off;
        // The user's layer started from the system's: its sinks are there.
        self.floor = Some(Box::new(system));
        self
    }

    /// Why the context `name` is protected by name, if it is: by the
    /// system file first, whose protections no user file takes out.
    pub fn protects_name(&self, name: &str) -> Option<String> {
        if let Some(why) = self.floor.as_ref().and_then(|f| f.protects_name(name)) {
            return Some(why);
        }
        let from = match &self.protect_file {
            Some(f) => format!(" in {f}"),
            None => String::new(),
        };
        if let Some(except) = &self.protect_all_but {
            return match except.iter().find(|p| glob_match(p, name)) {
                Some(_) => None,
                None => Some(format!(
                    "every context is protected but {} ([guard] protect_all_but{from})",
                    except.join(", ")
                )),
            };
        }
        self.protect.iter().find(|p| glob_match(p, name)).map(|p| {
            let from = if from.is_empty() {
                String::new()
            } else {
                format!(" ([guard] protect{from})")
            };
            format!("context {name:?} matches the protected pattern {p:?}{from}")
        })
    }

    /// Every rule and the file it came from: the system file's first.
    pub fn rules(&self) -> Vec<RuleSource> {
        let mut out = self.floor.as_ref().map(|f| f.rules()).unwrap_or_default();
        let label = |f: &Option<String>| f.clone().unwrap_or_else(|| "built-in".into());
        let here = label(&self.file);
        let mut add = |setting: &str, value: String, file: String| {
            let rule = RuleSource {
                setting: setting.into(),
                value,
                file,
            };
            // A layer starts from the one beneath: list a rule once.
            if !out
                .iter()
                .any(|r| r.setting == rule.setting && r.value == rule.value)
            {
                out.push(rule);
            }
        };
        match &self.protect_all_but {
            Some(except) => add(
                "protect_all_but",
                except.join(", "),
                label(&self.protect_file),
            ),
            None => {
                for p in &self.protect {
                    add("protect", p.clone(), label(&self.protect_file));
                }
            }
        }
        for (entry, class) in &self.table.entries {
            let setting = match class {
                Class::Write => "not_destructive",
                _ => "destructive",
            };
            add(setting, entry.clone(), here.clone());
        }
        if self.table.replaced {
            add(
                "destructive",
                "(replaces the built-in list)".into(),
                here.clone(),
            );
        }
        if self.mode_given {
            add(
                "mode",
                match self.mode {
                    Mode::Refuse => "refuse".into(),
                    Mode::Confirm => "confirm".into(),
                },
                here.clone(),
            );
        }
        if self.table.refuse == Class::Write {
            add("refuse", "writes".into(), here.clone());
        }
        if !self.allow_off {
            add("allow_off", "false".into(), here.clone());
        }
        for sink in &self.syslog {
            add("syslog", sink.path.display().to_string(), here.clone());
        }
        out
    }
}

/// One entry of a command list under `key`, in [`canonical`] form, or
/// why it is none of the table's commands.
fn entry(written: &str, key: &str) -> Result<String, String> {
    let mut c = canonical(written);
    if c.starts_with("builder ") && row(&c).is_none() {
        // `docker builder X` runs `docker buildx X` (commands.rs).
        c = c.replacen("builder", "buildx", 1);
    }
    let Some(first) = c.split(' ').next().filter(|f| !f.is_empty()) else {
        return Err(format!("guard.{key}: an entry is empty"));
    };
    if first == "docker" {
        let rest = canonical(c.trim_start_matches("docker").trim());
        return Err(format!(
            "guard.{key}: {written:?}: write the command without \"docker\" ({rest:?})"
        ));
    }
    if row(&c).is_some() {
        return Ok(c);
    }
    // A plugin's commands cannot all be known (compose and buildx grow
    // new ones, and any other plugin is unknown): accepted as written.
    let typo = |known: &str| {
        let d = strsim::osa_distance(first, known);
        d == 1 || (d == 2 && first.len() >= 6 && known.len() >= 6)
    };
    let cli_like = is_cli_word(first)
        || crate::guard::commands::MANAGEMENT
            .iter()
            .chain(PLUGINS)
            .any(|k| typo(k));
    if PLUGINS.contains(&first) || !cli_like {
        return Ok(c);
    }
    Err(format!(
        "guard.{key}: {written:?} is not a docker command the guard knows{}",
        suggestions(&c)
    ))
}

/// ` (did you mean "a" or "b"?)`: the table's commands closest to `c`.
fn suggestions(c: &str) -> String {
    let mut near: Vec<(usize, &str)> = ROWS
        .iter()
        .map(|r| (strsim::osa_distance(c, r.command), r.command))
        .filter(|(d, _)| *d <= 3.max(c.len() / 3))
        .collect();
    near.sort();
    let names: Vec<String> = near.iter().take(3).map(|(_, n)| format!("{n:?}")).collect();
    match names.len() {
        0 => " (see the guard's table in the README)".into(),
        _ => format!(" (did you mean {}?)", names.join(" or ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Settings;

    /// The class and whether it is refused, for `line` under `settings`.
    fn refused(settings: &str, line: &str) -> (Class, bool) {
        let s = Settings::parse(settings).unwrap().guard;
        let words: Vec<std::ffi::OsString> = line.split(' ').map(Into::into).collect();
        let c = super::super::commands::classify(&words, &s.table);
        (c.class, c.matched.is_some())
    }

    #[test]
    fn the_guard_table_can_be_replaced_extended_and_thinned() {
        use Class::*;
        let t = "[guard]\nalso_destructive = [\"restart\", \"unpause\"]\nnot_destructive = [\"compose up\", \"rmi\"]\n";
        assert_eq!(refused(t, "unpause web"), (Destructive, true));
        assert_eq!(refused(t, "compose up"), (Write, false));
        assert_eq!(refused(t, "image rm x"), (Write, false));
        assert_eq!(refused(t, "system prune"), (Destructive, true));
        let t = "[guard]\ndestructive = [\"rm\"]\nmode = \"confirm\"\n";
        assert_eq!(refused(t, "container rm web"), (Destructive, true));
        assert_eq!(refused(t, "system prune"), (Write, false));
        assert_eq!(refused(t, "ps"), (Read, false));
        let b = "[guard]\nnot_destructive = [\"builder rm\"]\n";
        assert_eq!(refused(b, "buildx rm b"), (Write, false));
        let s = Settings::parse(t).unwrap().guard;
        assert_eq!(s.mode, Mode::Confirm);
        assert!(Settings::parse("[guard]\nmode = \"ask\"\n").is_err());
        assert!(Settings::parse("[guard]\nprotekt = []\n").is_err());
    }

    #[test]
    fn refuse_writes_refuses_write_commands_too() {
        use Class::*;
        let t = "[guard]\nrefuse = \"writes\"\nnot_destructive = [\"compose up\"]\n";
        assert_eq!(refused(t, "pull alpine"), (Write, true));
        assert_eq!(refused(t, "compose up"), (Write, true));
        assert_eq!(refused(t, "rm web"), (Destructive, true));
        assert_eq!(refused(t, "ps -a"), (Read, false));
        assert_eq!(refused("", "pull alpine"), (Write, false));
        let e = Settings::parse("[guard]\nrefuse = \"write\"\n").unwrap_err();
        assert!(format!("{e:#}").contains("guard.refuse"), "{e:#}");
    }

    #[test]
    fn entries_that_are_no_command_are_errors_with_suggestions() {
        for (entry, key, says) in [
            (
                "docker restart",
                "also_destructive",
                "without \"docker\" (\"container restart\")",
            ),
            ("sytem prune", "destructive", "\"system prune\""),
            ("system prnue", "also_destructive", "\"system prune\""),
            ("contianer rm", "not_destructive", "\"container rm\""),
            ("container", "also_destructive", "did you mean"),
            ("image remov", "not_destructive", "\"image rm\""),
            ("compsoe down", "also_destructive", "\"compose down\""),
            ("", "destructive", "empty"),
        ] {
            let text = format!("[guard]\n{key} = [{entry:?}]\n");
            let e = format!("{:#}", Settings::parse(&text).unwrap_err());
            assert!(e.contains(&format!("guard.{key}")), "{entry}: {e}");
            assert!(e.contains(says), "{entry}: {e}");
        }
        // Plugins' commands cannot be checked: accepted as written.
        for entry in [
            "compose frobnicate",
            "buildx history rm",
            "model rm",
            "rmi",
            "stack down",
        ] {
            let text = format!("[guard]\nalso_destructive = [{entry:?}]\n");
            assert!(Settings::parse(&text).is_ok(), "{entry}");
        }
    }

    /// The user's file over a system file, through the loader.
    fn layered(system: &str, user: &str) -> crate::settings::Layered {
        let dir = tempfile::tempdir().unwrap();
        let (sys, usr) = (dir.path().join("system.toml"), dir.path().join("user.toml"));
        std::fs::write(&sys, system).unwrap();
        std::fs::write(&usr, user).unwrap();
        Settings::load_layered(&crate::RealFs, &sys, Some(&usr))
    }

    fn class_of(s: &GuardSettings, line: &str) -> (Class, bool) {
        let words: Vec<std::ffi::OsString> = line.split(' ').map(Into::into).collect();
        let c = super::super::commands::classify(&words, &s.table);
        (c.class, c.matched.is_some())
    }

    #[test]
    fn a_system_guard_is_a_floor_the_user_file_only_adds_to() {
        use Class::*;
        let system = "[guard]\nprotect = [\"customer-*\"]\nalso_destructive = [\"restart\"]\nallow_off = false\n";
        let user = "[guard]\nprotect = []\nnot_destructive = [\"system prune\", \"restart\"]\nalso_destructive = [\"unpause\"]\nmode = \"confirm\"\n";
        let l = layered(system, user);
        assert_eq!(
            (l.problem.as_deref(), l.system_problem.as_deref()),
            (None, None)
        );
        let g = &l.settings.guard;
        let why = g
            .protects_name("customer-a")
            .expect("the system's pattern stays");
        assert!(why.contains("system.toml"), "{why}");
        assert!(
            g.protects_name("prod").is_none(),
            "the user took out the built-ins"
        );
        assert_eq!(class_of(g, "system prune -af"), (Destructive, true));
        assert_eq!(class_of(g, "restart web"), (Destructive, true));
        assert_eq!(
            class_of(g, "unpause web"),
            (Destructive, true),
            "the user adds"
        );
        assert_eq!(g.mode, Mode::Confirm, "the system wrote no mode");
        assert!(!g.allow_off);
        let rules = g.rules();
        let from = |setting: &str, value: &str| {
            rules
                .iter()
                .find(|r| r.setting == setting && r.value == value)
                .map(|r| r.file.rsplit('/').next().unwrap().to_string())
        };
        assert_eq!(
            from("protect", "customer-*").as_deref(),
            Some("system.toml")
        );
        assert_eq!(
            from("destructive", "container unpause").as_deref(),
            Some("user.toml")
        );
        assert_eq!(from("allow_off", "false").as_deref(), Some("system.toml"));

        // The stricter refuse level and a written refuse mode stay.
        let l = layered(
            "[guard]\nrefuse = \"writes\"\nmode = \"refuse\"\n",
            "[guard]\nrefuse = \"destructive\"\nmode = \"confirm\"\nallow_off = true\n",
        );
        assert_eq!(class_of(&l.settings.guard, "pull alpine"), (Write, true));
        assert_eq!(l.settings.guard.mode, Mode::Refuse);
        // A user's protect_all_but adds to the system's patterns.
        let l = layered(
            "[guard]\nprotect = [\"customer-*\"]\n",
            "[guard]\nprotect_all_but = [\"customer-*\", \"dev\"]\n",
        );
        assert!(l.settings.guard.protects_name("customer-b").is_some());
        assert!(l.settings.guard.protects_name("staging").is_some());
        assert!(l.settings.guard.protects_name("dev").is_none());
    }

    #[test]
    fn what_the_system_file_refuses_stays_off_the_shells_fast_path() {
        let l = layered(
            "[guard]\nalso_destructive = [\"logs\", \"context rm\"]\n",
            "[guard]\nnot_destructive = [\"logs\"]\n",
        );
        let (commands, _) = crate::guard::fast_path::allowed_by(&l.settings.guard.table);
        assert!(!commands.contains(&"logs"), "{commands:?}");
        // An entry under a fast-path command takes that command off too.
        assert!(!commands.contains(&"context"), "{commands:?}");
        assert!(commands.contains(&"ps"), "{commands:?}");
    }

    #[test]
    fn without_a_system_guard_the_user_decides_and_system_values_are_defaults() {
        let l = layered(
            "format = \"sys:{name}\"\n",
            "[guard]\nprotect = []\nnot_destructive = [\"system prune\"]\n",
        );
        assert_eq!(l.settings.format, "sys:{name}");
        assert!(l.settings.guard.protects_name("prod").is_none());
        assert_eq!(
            class_of(&l.settings.guard, "system prune"),
            (Class::Write, false)
        );
        let l = layered("format = \"sys:{name}\"\n", "format = \"me:{name}\"\n");
        assert_eq!(l.settings.format, "me:{name}");
        // A broken system file: the user's settings, and the reason apart.
        let l = layered("[guard]\nprotect = 3\n", "format = \"me:{name}\"\n");
        assert!(l.system_problem.unwrap().contains("system.toml"));
        assert_eq!(l.settings.format, "me:{name}");
    }

    #[test]
    fn protection_by_name_patterns_or_all_but() {
        let s = GuardSettings::default();
        assert!(s.protects_name("eu-prod-1").is_some());
        assert!(s.protects_name("staging").is_none());
        let s = Settings::parse("[guard]\nprotect_all_but = [\"default\", \"dev*\"]\n")
            .unwrap()
            .guard;
        assert!(s.protects_name("staging").is_some());
        assert!(s.protects_name("dev-laptop").is_none());
        assert!(s.protects_name("default").is_none());
    }
}
