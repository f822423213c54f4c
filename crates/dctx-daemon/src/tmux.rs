//! Pushing changes to tmux: when a context may have changed, every tmux
//! server a hooked shell has reported (its `TMUX` variable) is asked to
//! redraw its clients' status lines, which re-runs their `#()` jobs at once
//! instead of on the next `status-interval`.

use std::sync::Arc;
use std::time::Duration;

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

/// Runs until the channel closes: one redraw per burst of requests.
pub async fn run(state: Arc<State>, mut requests: UnboundedReceiver<()>) {
    while requests.recv().await.is_some() {
        tokio::time::sleep(SETTLE).await;
        while requests.try_recv().is_ok() {}
        for server in state.tmux_servers() {
            if let Some(socket) = socket_of(&server) {
                redraw(socket).await;
            }
        }
    }
}

async fn redraw(socket: &str) {
    let clients = match Command::new("tmux")
        .args(["-S", socket, "list-clients", "-F", "#{client_name}"])
        .output()
        .await
    {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).into_owned(),
        // The server is gone or tmux is not installed: nothing to redraw.
        _ => return,
    };
    for client in clients.lines().filter(|c| !c.is_empty()) {
        let status = Command::new("tmux")
            .args(["-S", socket, "refresh-client", "-S", "-t", client])
            .status()
            .await;
        debug!(
            socket,
            client,
            ?status,
            "asked tmux to redraw its status line"
        );
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
