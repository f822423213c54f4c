//! `dctx-prompt --serve`: one long-lived helper per shell, so that a bash or
//! zsh prompt costs a write and a read on a pipe instead of a fork and exec.
//!
//! The shell writes one request per prompt as NUL-terminated fields: `PWD`,
//! then each of `dctx_core::env::DOCKER_VARS` in that order (`DOCKER_HOST`,
//! `DOCKER_CONTEXT`, `DOCKER_CONFIG`, `DOCKER_TLS_VERIFY`, `DOCKER_TLS`,
//! `DOCKER_CERT_PATH`; empty = unset).
//! The helper answers with two NUL-terminated fields: the segment, and the
//! shell's stamp dir when the shell may keep the segment until the stamps
//! say otherwise (see `stamps.rs`), else nothing: only answers from a
//! daemon that watches their files are kept. It keeps one connection to
//! the daemon, reconnects after a restart, and answers directly when the
//! daemon is away, so every request gets an answer within ~40 ms.

use std::ffi::OsString;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::fd::{AsRawFd, BorrowedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use dctx_core::client::{Client, OtherBuild};
use dctx_core::context_meta::meta_path;
use dctx_core::env::DOCKER_VARS;
use dctx_core::paths::{current_runtime_dir, socket_path};
use dctx_core::protocol::{Caller, Render, Request, Response, Segment};
use dctx_core::resolution::DEFAULT_CONTEXT;
use dctx_core::{Env, Shell};

use crate::daemon_path::{autostart, recover, CONNECT_TIMEOUT, REPLY_TIMEOUT};
use crate::stamps::{Before, Stamps};

pub struct Helper {
    shell: Shell,
    format: Option<String>,
    settings: Option<PathBuf>,
    caller: Caller,
    home: Option<PathBuf>,
    runtime_dir: PathBuf,
    client: Option<Client>,
    autostart: bool,
    stamps: Option<Stamps>,
}

impl Helper {
    pub fn new(
        shell: Shell,
        format: Option<String>,
        settings: Option<PathBuf>,
        caller: Caller,
    ) -> Helper {
        let runtime_dir = current_runtime_dir();
        let stamps = (caller.pid != 0)
            .then(|| Stamps::open(&runtime_dir, caller.pid))
            .flatten();
        Helper {
            shell,
            format,
            settings,
            caller,
            home: Env::from_process().home().cloned(),
            runtime_dir,
            client: None,
            autostart: true,
            stamps,
        }
    }

    /// Serves requests from `input` until it closes. Given `input`'s
    /// descriptor, it also waits on the daemon connection between requests.
    pub fn run<R: Read>(
        &mut self,
        input: &mut BufReader<R>,
        input_fd: Option<BorrowedFd<'_>>,
        mut output: impl Write,
    ) -> io::Result<()> {
        let mut fields = Vec::with_capacity(DOCKER_VARS.len() + 1);
        loop {
            if let Some(fd) = input_fd.filter(|_| input.buffer().is_empty()) {
                self.wait_for_input(fd)?;
            }
            fields.clear();
            for _ in 0..=DOCKER_VARS.len() {
                let mut field = Vec::new();
                if input.read_until(0, &mut field)? == 0 {
                    return Ok(());
                }
                if field.last() == Some(&0) {
                    field.pop();
                }
                fields.push(OsString::from_vec(field));
            }
            let cwd = PathBuf::from(&fields[0]);
            let vars = DOCKER_VARS
                .iter()
                .zip(&fields[1..])
                .map(|(k, v)| (k.to_string(), v.clone()));
            let env = Env::new(vars, self.home.clone());
            // The shell keeps answers whatever its directory, so one that
            // depends on the directory is not to be kept.
            let keepable = ["DOCKER_CONFIG", "DOCKER_CERT_PATH"]
                .iter()
                .all(|k| env.get_os(k).is_none_or(|v| Path::new(v).is_absolute()));
            // The kernel resolves a relative path's `..` from the physical
            // directory, not from the shell's logical PWD.
            let env = if keepable {
                env
            } else {
                env.absolutized(&std::fs::canonicalize(&cwd).unwrap_or(cwd))
            };
            if self.caller.tty.is_none() {
                // The shell may have had its stdin redirected when we started.
                self.caller.tty = tty_of(self.caller.pid);
            }
            let (segment, kept) = self.answer(&env, keepable);
            let dir = match &self.stamps {
                Some(stamps) if kept => stamps.dir().as_os_str().as_bytes(),
                _ => b"",
            };
            for field in [segment.as_bytes(), dir] {
                output.write_all(field)?;
                output.write_all(b"\0")?;
            }
            output.flush()?;
        }
    }

    /// Blocks until `input` is readable. The daemon never speaks unasked,
    /// so its connection becoming readable meanwhile means it went away:
    /// then the shell must stop keeping answers, for nobody will tell it
    /// of a change, and ask (and so start a daemon) at its next prompt.
    fn wait_for_input(&mut self, input: BorrowedFd<'_>) -> io::Result<()> {
        loop {
            let Some(client) = &self.client else {
                return Ok(());
            };
            let mut fds = [
                libc::pollfd {
                    fd: input.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                },
                libc::pollfd {
                    fd: client.as_fd().as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                },
            ];
            // SAFETY: both descriptors stay open for the call, and `fds`
            // is a valid array of two.
            if unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) } < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            if fds[1].revents != 0 {
                self.client = None;
                if let Some(stamps) = &self.stamps {
                    stamps.forget();
                }
            }
            if fds[0].revents != 0 {
                return Ok(());
            }
        }
    }

    /// The segment, and whether the shell may keep it.
    fn answer(&mut self, env: &Env, keepable: bool) -> (String, bool) {
        let config = env.config_dir().join("config.json");
        let before = match &mut self.stamps {
            Some(stamps) if keepable => stamps.before(&config),
            _ => None,
        };
        let render_opts = Render {
            shell: self.shell,
            format: self.format.clone(),
            settings: self.settings.clone(),
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
                    if self.autostart {
                        autostart(&self.runtime_dir);
                    }
                    break;
                }
            }
            match self.client.as_mut().map(|c| c.call(&request)) {
                Some(Ok(Response::Segment(segment))) => {
                    let kept = before.is_some_and(|b| self.keep(b, env, &segment));
                    return (segment.text, kept);
                }
                Some(Err(e)) if OtherBuild::of(&e).is_some() => {
                    self.client = None;
                    if self.autostart {
                        recover(&self.runtime_dir, &e);
                    }
                    break;
                }
                _ => self.client = None,
            }
        }
        (self.direct(env), false)
    }

    /// Stamps the files behind `segment`, if the daemon watches them.
    fn keep(&mut self, before: Before, env: &Env, segment: &Segment) -> bool {
        let Some(stamps) = self.stamps.as_mut().filter(|_| segment.watched) else {
            return false;
        };
        let dir = env.config_dir();
        let meta = (segment.name != DEFAULT_CONTEXT).then(|| meta_path(&dir, &segment.name));
        stamps
            .write(before, &dir.join("config.json"), meta.as_deref())
            .is_ok()
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

    fn direct(&self, env: &Env) -> String {
        crate::render_direct(
            env,
            self.shell,
            self.format.as_deref(),
            self.settings.as_deref(),
        )
    }
}

/// The terminal of process `pid`'s stdin, e.g. `/dev/pts/3`: how the helper,
/// whose own stdin is a pipe, learns its shell's tty.
pub fn tty_of(pid: u32) -> Option<String> {
    let target = std::fs::read_link(format!("/proc/{pid}/fd/0")).ok()?;
    let text = target.to_string_lossy().into_owned();
    (text.starts_with("/dev/pts/") || text.starts_with("/dev/tty")).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(pwd: &str, context: &str) -> Vec<u8> {
        let mut out = Vec::new();
        for field in [pwd, "", context, "", "", "", ""] {
            out.extend_from_slice(field.as_bytes());
            out.push(0);
        }
        out
    }

    #[test]
    fn answers_each_request_with_a_nul_terminated_segment() {
        let dir = std::env::temp_dir().join(format!("dctx-serve-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut helper = Helper::new(Shell::Plain, Some("{name}".into()), None, Caller::default());
        // No daemon in this private runtime dir: answers come from the direct path.
        helper.runtime_dir = dir.join("runtime");
        helper.home = Some(dir.clone());
        helper.autostart = false;
        let mut input = request("/", "alpha");
        input.extend(request("/", "beta"));
        let mut output = Vec::new();
        helper
            .run(&mut BufReader::new(&input[..]), None, &mut output)
            .unwrap();
        assert_eq!(output, b"alpha?\0\0beta?\0\0", "not kept without a daemon");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn relative_docker_config_is_taken_from_the_shells_directory() {
        let mut input = Vec::new();
        for field in ["/work", "", "", "cfg", "", "", ""] {
            input.extend_from_slice(field.as_bytes());
            input.push(0);
        }
        let mut helper = Helper::new(
            Shell::Plain,
            Some("{source}".into()),
            None,
            Caller::default(),
        );
        helper.runtime_dir = PathBuf::from("/nonexistent/dctx");
        helper.autostart = false;
        let mut output = Vec::new();
        helper
            .run(&mut BufReader::new(&input[..]), None, &mut output)
            .unwrap();
        assert_eq!(output, b"default\0\0");
    }
}
