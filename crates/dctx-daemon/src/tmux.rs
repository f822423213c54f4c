//! Pushing changes to tmux: when a context may have changed, every tmux
//! server a hooked shell has reported (its `TMUX` variable) is asked to
//! redraw its clients' status lines, which re-runs their `#()` jobs at once
//! instead of on the next `status-interval`.

use std::sync::Arc;
use std::time::Duration;

use std::process::Stdio;

use tokio::process::Command;
use tokio::sync::mpsc::UnboundedReceiver;
use tracing::debug;

use crate::state::State;

/// Bursts of changes (a `docker context use` is several file events) are
/// folded into one redraw.
const SETTLE: Duration = Duration::from_millis(20);

/// The server socket from a `TMUX` value (`/tmp/tmux-1000/default,1234,0`).
pub fn socket_of(tmux_var: &str) -> Option<&str> {
    let socket = tmux_var.split(',').next()?;
    (!socket.is_empty()).then_some(socket)
}

/// How long one tmux command may take. A server that is stopped (^Z,
/// SIGSTOP) or wedged never answers; it must cost a bounded time and hold
/// up no other server.
const TMUX_TIMEOUT: Duration = Duration::from_secs(2);

/// Runs until the channel closes: one redraw per burst of requests, every
/// server at once.
pub async fn run(state: Arc<State>, mut requests: UnboundedReceiver<()>) {
    while requests.recv().await.is_some() {
        tokio::time::sleep(SETTLE).await;
        while requests.try_recv().is_ok() {}
        let redraws: Vec<_> = state
            .tmux_servers()
            .iter()
            .filter_map(|server| socket_of(server))
            .map(|socket| tokio::spawn(redraw(socket.to_string())))
            .collect();
        // Each is bounded by TMUX_TIMEOUT, so this waits that long at most.
        for redraw in redraws {
            let _ = redraw.await;
        }
    }
}

/// `tmux -S socket args…`, its stdout, or `None` if it failed or took
/// longer than [`TMUX_TIMEOUT`] (then it is killed).
async fn tmux(socket: &str, args: &[&str]) -> Option<Vec<u8>> {
    let mut cmd = Command::new("tmux");
    cmd.args(["-S", socket])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    match tokio::time::timeout(TMUX_TIMEOUT, cmd.output()).await {
        Ok(Ok(out)) if out.status.success() => Some(out.stdout),
        Ok(_) => None,
        Err(_) => {
            debug!(socket, ?args, "tmux did not answer in time; skipped");
            None
        }
    }
}

async fn redraw(socket: String) {
    // The server is gone, stopped, or tmux is not installed: nothing to do.
    let Some(clients) = tmux(&socket, &["list-clients", "-F", "#{client_name}"]).await else {
        return;
    };
    let clients = String::from_utf8_lossy(&clients).into_owned();
    let refreshes = clients
        .lines()
        .filter(|c| !c.is_empty())
        .map(|client| {
            let (socket, client) = (socket.clone(), client.to_string());
            tokio::spawn(async move {
                let done = tmux(&socket, &["refresh-client", "-S", "-t", &client]).await;
                debug!(
                    socket,
                    client,
                    ok = done.is_some(),
                    "asked tmux to redraw its status line"
                );
            })
        })
        .collect::<Vec<_>>();
    for refresh in refreshes {
        let _ = refresh.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_socket_in_tmux_variables() {
        assert_eq!(
            socket_of("/tmp/tmux-1000/default,1234,0"),
            Some("/tmp/tmux-1000/default")
        );
        assert_eq!(socket_of("/tmp/s"), Some("/tmp/s"));
        assert_eq!(socket_of(",1,2"), None);
    }
}
