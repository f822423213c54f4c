//! `dctx-prompt --serve`: one long-lived helper per shell, so that a bash or
//! zsh prompt costs a write and a read on a FIFO instead of a fork and exec.
//!
//! `fifos.rs` (`--serve-fifos`, run once by the hook) makes the shell's
//! private dir `<runtime dir>/shells/<pid>/` with two FIFOs, `in` and
//! `out`, and starts the helper detached on them. The hook
//! opens the FIFOs read-write for each question only (a read-write open of
//! a FIFO never blocks, and nothing the shell runs inherits them) and
//! speaks the frames of `dctx_ipc::helper_frame`. The helper exits when its
//! shell does (it holds a pidfd of the shell), or when asked in another
//! frame version, leaving the mark that makes the script's fallback say
//! "restart this shell".
//!
//! It keeps one connection to the daemon, reconnects after a restart, and
//! answers directly when the daemon is away, so every request gets an
//! answer within ~40 ms.

use std::io::{self, BufReader, Read, Write};
use std::os::fd::BorrowedFd;
use std::path::{Path, PathBuf};

use dctx_core::context_meta::meta_path;
use dctx_core::resolution::DEFAULT_CONTEXT;
use dctx_core::settings::config_path;
use dctx_core::{Env, Shell};
use dctx_ipc::client::{Client, ClientError};
use dctx_ipc::paths::socket_path;
use dctx_ipc::protocol::{Caller, Render, Request, Response, Segment};
use dctx_ipc::stamps::{Before, Stamps};
use dctx_ipc::Vars;

use crate::daemon_path::{autostart, recover, CONNECT_TIMEOUT, REPLY_TIMEOUT};
use dctx_ipc::helper_frame::{self, Answer, Incoming, Kept, Request as Frame};

pub struct Helper {
    shell: Shell,
    format: Option<String>,
    caller: Caller,
    /// The home dir when the shell has no `HOME` (from the password
    /// database, as the Docker CLI finds it).
    home: Option<PathBuf>,
    runtime_dir: PathBuf,
    client: Option<Client>,
    autostart: bool,
    stamps: Option<Stamps>,
}

impl Helper {
    pub fn new(shell: Shell, format: Option<String>, caller: Caller, vars: &Vars) -> Helper {
        let runtime_dir = vars.runtime_dir();
        let stamps = (caller.pid != 0)
            .then(|| Stamps::open(&runtime_dir, caller.pid))
            .flatten();
        Helper {
            shell,
            format,
            caller,
            home: vars.home(),
            runtime_dir,
            client: None,
            autostart: !vars.is_set("DCTX_NO_AUTOSTART"),
            stamps,
        }
    }

    /// Serves requests from `input` until it closes, a request of another
    /// frame version comes, or `shell` (a pidfd of the shell) exits.
    /// Given `input`'s descriptor, it also waits on the daemon connection
    /// between requests.
    pub fn run<R: Read>(
        &mut self,
        input: &mut BufReader<R>,
        input_fd: Option<BorrowedFd<'_>>,
        shell: Option<BorrowedFd<'_>>,
        mut output: impl Write,
    ) -> io::Result<()> {
        loop {
            if let Some(fd) = input_fd.filter(|_| input.buffer().is_empty()) {
                if !self.wait_for_input(fd, shell)? {
                    return Ok(());
                }
            }
            let request = match Frame::read(input)? {
                None => return Ok(()),
                Some(Incoming::Request(request)) => request,
                Some(Incoming::OtherVersion(version)) => {
                    // A script of another build (a shell that loaded dctx
                    // before an upgrade): leave the mark its fallback
                    // shows, say which version this is, so that it falls
                    // back at once, and make way.
                    self.mark_stale(&version);
                    Answer::other_version().write(&mut output)?;
                    return Ok(());
                }
            };
            let (segment, kept) = self.serve_one(&request);
            let stamps = match &self.stamps {
                Some(stamps) if kept => Some(stamps.dir().to_path_buf()),
                _ => None,
            };
            Answer::new(segment, stamps).write(&mut output)?;
        }
    }

    /// Leaves the shell's dir holding nothing but
    /// [`helper_frame::stale_mark`], with the version the script spoke:
    /// no stamps that script might check by other rules, and no FIFOs of
    /// a helper that is going.
    fn mark_stale(&mut self, version: &[u8]) {
        use std::os::unix::fs::OpenOptionsExt;
        // Its drop empties the dir: before the mark, not after.
        drop(self.stamps.take());
        if self.caller.pid == 0 {
            return;
        }
        let dir = dctx_ipc::paths::shell_stamps_dir(&self.runtime_dir, self.caller.pid);
        if dctx_ipc::paths::ensure_private_dir(&dir).is_err() {
            return;
        }
        if let Ok(mut file) = std::fs::File::options()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(helper_frame::stale_mark(&dir))
        {
            let _ = file.write_all(version);
        }
    }

    /// `--keep`: answers once for a shell that has no helper (fish), from
    /// this process's own environment (exactly what the shell exports) and
    /// directory, and leaves the stamps in place when the shell may keep
    /// the segment; returns it and the stamp dir, if kept. With no helper
    /// to notice the daemon going away, the stamps also name the daemon
    /// that answered, so the hook can check that it still lives. A script
    /// of another frame version (`this_version` false) keeps nothing and
    /// is told to restart its shell.
    pub fn answer_once(mut self, vars: &Vars, cwd: PathBuf, this_version: bool) -> Kept {
        if !this_version {
            // Its checks may not be this version's: no stamps to trust.
            self.stamps = None;
        }
        let request = Frame::new(cwd.into_os_string(), |k| vars.get(k).map(ToOwned::to_owned));
        let (segment, kept) = self.serve_one(&request);
        if !this_version {
            return Kept::for_other_version(&segment);
        }
        let daemon = self.client.as_ref().and_then(Client::daemon_pid);
        let stamps = match (self.stamps.take(), daemon) {
            (Some(stamps), Some(pid)) if kept && stamps.link_daemon(pid).is_ok() => {
                let dir = stamps.dir().to_path_buf();
                stamps.persist();
                Some(dir)
            }
            _ => None,
        };
        Kept { segment, stamps }
    }

    /// Answers one request: the segment, and whether the shell may keep it.
    fn serve_one(&mut self, request: &Frame) -> (String, bool) {
        let cwd = PathBuf::from(&request.pwd);
        let var = |name: &str| request.get(name).map(ToOwned::to_owned);
        let home = var("HOME").map(PathBuf::from).or_else(|| self.home.clone());
        let settings = config_path(var, home.as_deref());
        let vars = helper_frame::REQUEST_VARS
            .iter()
            .filter_map(|&k| Some((k, var(k)?)));
        let env = Env::new(vars, home);
        // The shell keeps answers whatever its directory, so one that
        // depends on the directory is not to be kept.
        let keepable = ["DOCKER_CONFIG", "DOCKER_CERT_PATH"]
            .iter()
            .all(|k| env.get_os(k).is_none_or(|v| Path::new(v).is_absolute()))
            && env.home().is_none_or(|h| h.is_absolute())
            && settings.as_deref().is_none_or(Path::is_absolute);
        // The kernel resolves a relative path's `..` from the physical
        // directory, not from the shell's logical PWD.
        let env = if keepable {
            env
        } else {
            env.absolutized(&std::fs::canonicalize(&cwd).unwrap_or(cwd.clone()))
        };
        let settings = settings.map(|p| if p.is_relative() { cwd.join(p) } else { p });
        // What the shell's engine probes run with (its PATH, agent, proxies).
        self.caller.probe_env = dctx_ipc::vars::ProbeEnv::new(
            dctx_ipc::vars::PROBE_VARS
                .iter()
                .filter_map(|&k| Some((k, var(k)?))),
        );
        if self.caller.tty.is_none() {
            // The shell may have had its stdin redirected when we started.
            self.caller.tty = crate::daemon_path::tty_of(self.caller.pid);
        }
        self.answer(&env, settings, keepable)
    }

    /// Blocks until `input` is readable; false when `shell` exited. The
    /// daemon never speaks unasked, so its connection becoming readable
    /// meanwhile means it went away: then the shell must stop keeping
    /// answers, for nobody will tell it of a change, and ask (and so start
    /// a daemon) at its next prompt.
    fn wait_for_input(
        &mut self,
        input: BorrowedFd<'_>,
        shell: Option<BorrowedFd<'_>>,
    ) -> io::Result<bool> {
        loop {
            use rustix::event::{PollFd, PollFlags};
            // Input first; then the shell and the daemon, when there are.
            let client = self.client.as_ref().map(|c| c.as_fd());
            let mut fds = vec![PollFd::from_borrowed_fd(input, PollFlags::IN)];
            let [shell_at, client_at] = [shell, client].map(|fd| {
                fds.push(PollFd::from_borrowed_fd(fd?, PollFlags::IN));
                Some(fds.len() - 1)
            });
            match rustix::event::poll(&mut fds, None) {
                Ok(_) => {}
                Err(rustix::io::Errno::INTR) => continue,
                Err(e) => return Err(e.into()),
            }
            let ready: Vec<bool> = fds.iter().map(|p| !p.revents().is_empty()).collect();
            drop(fds);
            let ready_at = |at: Option<usize>| at.is_some_and(|i| ready[i]);
            if ready_at(shell_at) {
                return Ok(false);
            }
            if ready_at(client_at) {
                self.client = None;
                if let Some(stamps) = &self.stamps {
                    stamps.forget();
                }
            }
            if ready[0] {
                return Ok(true);
            }
        }
    }

    /// The segment, and whether the shell may keep it.
    fn answer(&mut self, env: &Env, settings: Option<PathBuf>, keepable: bool) -> (String, bool) {
        let config = env.config_dir().join("config.json");
        let before = match &mut self.stamps {
            Some(stamps) if keepable => stamps.before(&config),
            _ => None,
        };
        let render_opts = Render {
            shell: self.shell,
            format: self.format.clone(),
            settings: settings.clone(),
            show_default: false,
        };
        let request = Request::Query {
            env: env.clone(),
            caller: Some(self.caller.clone()),
            render: render_opts,
        };
        // Two tries: after a daemon restart the kept connection is dead, and
        // only a fresh one can tell a restarted daemon from a missing one.
        for _ in 0..2 {
            if self.client.is_none() {
                self.client = self.connect();
                if self.client.is_none() {
                    autostart(&self.runtime_dir, !self.autostart);
                    break;
                }
            }
            match self.client.as_mut().map(|c| c.call(&request)) {
                Some(Ok(Response::Segment(segment))) => {
                    let kept = before.is_some_and(|b| self.keep(b, env, &segment));
                    return (segment.text, kept);
                }
                Some(Err(e @ ClientError::OtherBuild(_))) => {
                    self.client = None;
                    recover(&self.runtime_dir, &e, !self.autostart);
                    break;
                }
                _ => self.client = None,
            }
        }
        (self.direct(env, settings.as_deref()), false)
    }

    /// Stamps the files behind `segment`, if the daemon watches them.
    fn keep(&mut self, before: Before, env: &Env, segment: &Segment) -> bool {
        let Some(stamps) = self.stamps.as_mut().filter(|_| segment.watched) else {
            return false;
        };
        let dir = env.config_dir();
        let meta = (segment.name != DEFAULT_CONTEXT).then(|| meta_path(&dir, &segment.name));
        stamps.write(before, &dir, meta.as_deref()).is_ok()
    }

    fn connect(&self) -> Option<Client> {
        let mut client = Client::connect(
            &socket_path(&self.runtime_dir),
            CONNECT_TIMEOUT,
            "dctx-prompt --serve",
        )
        .ok()?;
        client.set_timeout(REPLY_TIMEOUT).ok()?;
        Some(client)
    }

    fn direct(&self, env: &Env, settings: Option<&Path>) -> String {
        crate::direct::render(env, self.shell, self.format.as_deref(), settings, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dctx_ipc::helper_frame::{FRAME_VERSION, REQUEST_VARS};

    fn request(pwd: &str, vars: &[(&str, &str)]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(FRAME_VERSION.as_bytes());
        out.push(0);
        out.extend_from_slice(pwd.as_bytes());
        out.push(0);
        for name in REQUEST_VARS {
            let value = vars.iter().find(|(k, _)| *k == name).map_or("", |(_, v)| v);
            out.extend_from_slice(value.as_bytes());
            out.push(0);
        }
        out
    }

    fn helper(format: &str, runtime: PathBuf) -> Helper {
        let mut helper = Helper::new(
            Shell::Plain,
            Some(format.into()),
            Caller::default(),
            &Vars::default(),
        );
        // No daemon in this private runtime dir: answers come from the direct path.
        helper.runtime_dir = runtime;
        helper.autostart = false;
        helper
    }

    #[test]
    fn answers_each_request_with_a_nul_terminated_segment() {
        let dir = tempfile::tempdir().unwrap();
        let mut helper = helper("{name}", dir.path().join("runtime"));
        let home = dir.path().display().to_string();
        let mut input = request("/", &[("HOME", &home), ("DOCKER_CONTEXT", "alpha")]);
        input.extend(request("/", &[("HOME", &home), ("DOCKER_CONTEXT", "beta")]));
        let mut output = Vec::new();
        helper
            .run(&mut BufReader::new(&input[..]), None, None, &mut output)
            .unwrap();
        let frame = |segment: &str| format!("{FRAME_VERSION}\0{segment}\0\0").into_bytes();
        let expected = [frame("alpha?"), frame("beta?")].concat();
        assert_eq!(output, expected, "not kept without a daemon");
    }

    #[test]
    fn relative_docker_config_is_taken_from_the_shells_directory() {
        // Only `<shell's PWD>/cfg` names this context: resolved against any
        // other directory (the helper's own), `cfg` holds no config.json.
        let dir = tempfile::tempdir().unwrap();
        let project = dir.path().join("proj");
        std::fs::create_dir_all(project.join("cfg")).unwrap();
        std::fs::write(
            project.join("cfg/config.json"),
            r#"{"currentContext":"from-the-shells-dir"}"#,
        )
        .unwrap();
        let meta = meta_path(&project.join("cfg"), "from-the-shells-dir");
        std::fs::create_dir_all(meta.parent().unwrap()).unwrap();
        let endpoint = r#""Endpoints":{"docker":{"Host":"unix:///x.sock"}}"#;
        std::fs::write(
            meta,
            format!(r#"{{"Name":"from-the-shells-dir",{endpoint}}}"#),
        )
        .unwrap();
        let mut helper = helper("{name}", PathBuf::from("/nonexistent/dctx"));
        let input = request(project.to_str().unwrap(), &[("DOCKER_CONFIG", "cfg")]);
        let mut output = Vec::new();
        helper
            .run(&mut BufReader::new(&input[..]), None, None, &mut output)
            .unwrap();
        let expected = format!("{FRAME_VERSION}\0from-the-shells-dir\0\0");
        assert_eq!(String::from_utf8_lossy(&output), expected);
    }

    // HOME and DCTX_CONFIG come with each request: a shell that changes
    // them is answered with its new settings at once.
    #[test]
    fn settings_follow_the_shells_own_variables() {
        let dir = tempfile::tempdir().unwrap();
        let settings = dir.path().join("a.toml");
        std::fs::write(&settings, "format = \"A:{name}\"\n").unwrap();
        let mut helper = Helper::new(Shell::Plain, None, Caller::default(), &Vars::default());
        helper.runtime_dir = dir.path().join("runtime");
        helper.autostart = false;
        let mut input = request("/", &[("DOCKER_CONTEXT", "x")]);
        input.extend(request(
            "/",
            &[
                ("DOCKER_CONTEXT", "x"),
                ("DCTX_CONFIG", settings.to_str().unwrap()),
            ],
        ));
        let mut output = Vec::new();
        helper
            .run(&mut BufReader::new(&input[..]), None, None, &mut output)
            .unwrap();
        let expected = format!("{FRAME_VERSION}\0x?\0\0{FRAME_VERSION}\0A:x?\0\0");
        assert_eq!(output, expected.into_bytes());
    }

    /// A script of another version (here 3, with fewer variables) is
    /// answered with this version alone, the helper exits without reading
    /// the rest as a request, and the mark for the script's fallback is left.
    #[test]
    fn a_request_in_another_frame_version_ends_the_helper() {
        let dir = tempfile::tempdir().unwrap();
        let vars = Vars::new([("XDG_RUNTIME_DIR", dir.path())]);
        let runtime = vars.runtime_dir();
        assert!(runtime.starts_with(dir.path()));
        // As `--serve-fifos` makes it.
        let shell_dir = dctx_ipc::stamps::prepare_shell_dir(&runtime, std::process::id()).unwrap();
        let caller = Caller {
            pid: std::process::id(),
            ..Caller::default()
        };
        let mut helper = Helper::new(Shell::Plain, None, caller, &vars);
        helper.autostart = false;
        let mut input = b"3\0/\0\0prod\0\0\0\0\0".to_vec();
        input.extend(request("/", &[("DOCKER_CONTEXT", "x")]));
        let mut output = Vec::new();
        helper
            .run(&mut BufReader::new(&input[..]), None, None, &mut output)
            .unwrap();
        assert_eq!(
            output,
            format!("{FRAME_VERSION}\0\0\0").into_bytes(),
            "an old script is told this helper's version, and nothing else"
        );
        assert_eq!(
            std::fs::read(helper_frame::stale_mark(&shell_dir)).unwrap(),
            b"3",
            "the mark the script's fallback shows"
        );
        let left: Vec<_> = std::fs::read_dir(&shell_dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, ["stale"], "no stamps an old script could trust");
    }
}
