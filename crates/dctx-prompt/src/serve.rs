//! `dctx-prompt --serve`: one long-lived helper per shell, so that a bash or
//! zsh prompt costs a write and a read on a pipe instead of a fork and exec.
//!
//! The shell writes one request per prompt as NUL-terminated fields: `PWD`,
//! then each of `dctx_core::env::DOCKER_VARS` in that order (`DOCKER_HOST`,
//! `DOCKER_CONTEXT`, `DOCKER_CONFIG`, `DOCKER_TLS_VERIFY`, `DOCKER_TLS`,
//! `DOCKER_CERT_PATH`; empty = unset).
//! The helper answers with the segment and a NUL. It keeps one connection
//! to the daemon, reconnects after a restart, and answers directly when the
//! daemon is away, so every request gets an answer within ~40 ms.

use std::ffi::OsString;
use std::io::{self, BufRead, Write};
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;

use dctx_core::client::{Client, OtherBuild};
use dctx_core::env::DOCKER_VARS;
use dctx_core::paths::{current_runtime_dir, socket_path};
use dctx_core::protocol::{Caller, Render, Request, Response};
use dctx_core::{Env, Shell};

use crate::daemon_path::{autostart, recover, CONNECT_TIMEOUT, REPLY_TIMEOUT};

pub struct Helper {
    shell: Shell,
    format: Option<String>,
    settings: Option<PathBuf>,
    caller: Caller,
    home: Option<PathBuf>,
    runtime_dir: PathBuf,
    client: Option<Client>,
    autostart: bool,
}

impl Helper {
    pub fn new(
        shell: Shell,
        format: Option<String>,
        settings: Option<PathBuf>,
        caller: Caller,
    ) -> Helper {
        Helper {
            shell,
            format,
            settings,
            caller,
            home: Env::from_process().home().cloned(),
            runtime_dir: current_runtime_dir(),
            client: None,
            autostart: true,
        }
    }

    /// Serves requests from `input` until it closes.
    pub fn run(&mut self, input: impl BufRead, mut output: impl Write) -> io::Result<()> {
        let mut fields = Vec::with_capacity(DOCKER_VARS.len() + 1);
        let mut input = input;
        loop {
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
            let env = Env::new(vars, self.home.clone()).absolutized(&cwd);
            if self.caller.tty.is_none() {
                // The shell may have had its stdin redirected when we started.
                self.caller.tty = tty_of(self.caller.pid);
            }
            let segment = self.answer(&env);
            output.write_all(segment.as_bytes())?;
            output.write_all(b"\0")?;
            output.flush()?;
        }
    }

    fn answer(&mut self, env: &Env) -> String {
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
                Some(Ok(Response::Segment(segment))) => return segment.text,
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
        self.direct(env)
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
        helper.run(&input[..], &mut output).unwrap();
        assert_eq!(output, b"alpha?\0beta?\0");
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
        helper.run(&input[..], &mut output).unwrap();
        assert_eq!(output, b"default\0");
    }
}
