//! Clients that misbehave: connect and stall, send half a line, garbage,
//! oversized lines, requests before the handshake, floods they never read.
//! The daemon must answer what deserves an answer and keep serving everyone.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use dctx_ipc::protocol::MAX_REQUEST_BYTES;

use crate::control::Control;
use crate::world::World;

/// Connections kept open and silent at any time.
const MAX_STALLED: usize = 100;

#[derive(Debug, Default)]
pub struct Stats {
    pub stalled: u64,
    pub garbage: u64,
    pub oversized: u64,
    pub before_hello: u64,
    pub truncated: u64,
    pub floods: u64,
    pub hangups: u64,
    /// Times the daemon did not answer as the protocol says, outside the
    /// restart window.
    pub misbehaved: u64,
    pub examples: Vec<String>,
}

impl Stats {
    pub fn total(&self) -> u64 {
        self.stalled
            + self.garbage
            + self.oversized
            + self.before_hello
            + self.truncated
            + self.floods
            + self.hangups
    }
}

fn connect(world: &World) -> std::io::Result<UnixStream> {
    let stream = UnixStream::connect(world.socket())?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    stream.set_write_timeout(Some(Duration::from_secs(2)))?;
    Ok(stream)
}

/// Sends `bytes` and returns the first reply line.
fn exchange(world: &World, bytes: &[u8], close_write: bool) -> std::io::Result<String> {
    let stream = connect(world)?;
    (&stream).write_all(bytes)?;
    if close_write {
        stream.shutdown(std::net::Shutdown::Write)?;
    }
    let mut line = String::new();
    BufReader::new(&stream).read_line(&mut line)?;
    Ok(line)
}

pub fn run(world: &World, control: &Control, seed: u64) -> Stats {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut stats = Stats::default();
    let mut stalled: Vec<UnixStream> = Vec::new();
    while !control.stopping() {
        let started = Instant::now();
        // Each outcome: what was expected in the reply, and the reply.
        let outcome: Option<(&str, std::io::Result<String>)> = match rng.u32(..7) {
            0 => {
                if let Ok(mut s) = connect(world) {
                    if rng.bool() {
                        let _ = s.write_all(b"{\"type\":\"hel");
                    }
                    stalled.push(s);
                    if stalled.len() > MAX_STALLED {
                        stalled.remove(0);
                    }
                }
                stats.stalled += 1;
                None
            }
            1 => {
                let mut junk: Vec<u8> = (0..rng.usize(1..512)).map(|_| rng.u8(..)).collect();
                junk.retain(|&b| b != b'\n');
                junk.push(b'\n');
                stats.garbage += 1;
                Some(("\"error\"", exchange(world, &junk, false)))
            }
            2 => {
                // Never read: the daemon must give up on it, not buffer it all.
                if let Ok(mut s) = connect(world) {
                    let _ = s.write_all(&vec![b'x'; MAX_REQUEST_BYTES + 4096]);
                }
                stats.oversized += 1;
                None
            }
            3 => {
                stats.before_hello += 1;
                Some((
                    "send hello",
                    exchange(world, b"{\"type\":\"status\"}\n", false),
                ))
            }
            4 => {
                stats.truncated += 1;
                Some(("truncated", exchange(world, b"{\"type\":\"hello\"", true)))
            }
            5 => {
                if let Ok(mut s) = connect(world) {
                    let mut flood =
                        b"{\"type\":\"hello\",\"protocol\":1,\"client\":\"flood\"}\n".to_vec();
                    for _ in 0..200 {
                        flood.extend_from_slice(b"{\"type\":\"status\"}\n");
                    }
                    let _ = s.write_all(&flood);
                }
                stats.floods += 1;
                None
            }
            _ => {
                drop(connect(world));
                stats.hangups += 1;
                None
            }
        };
        if let Some((expected, reply)) = outcome {
            let ok = matches!(&reply, Ok(line) if line.contains(expected));
            if !ok && !control.in_restart(started) && !control.in_restart(Instant::now()) {
                stats.misbehaved += 1;
                if stats.examples.len() < 5 {
                    stats
                        .examples
                        .push(format!("expected {expected:?}, got {reply:?}"));
                }
            }
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    stats
}
