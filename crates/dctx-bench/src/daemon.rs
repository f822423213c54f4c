//! The daemon itself: query latency on one connection beside a bare
//! Unix-socket echo of the same size, throughput with concurrent clients,
//! and what it does while nothing happens.

use std::sync::Arc;
use std::time::{Duration, Instant};

use dctx_ipc::client::Client;
use dctx_ipc::protocol::{Caller, Render, Request, Response};
use dctx_testkit::procfs::{cpu_ticks, wakeups};

use crate::measure::{micros, percentile, ratio};
use crate::world::World;

fn query(world: &World) -> Request {
    Request::Query {
        env: world.env(),
        caller: Some(Caller {
            pid: std::process::id(),
            tty: Some("/dev/pts/bench".into()),
            ..Caller::default()
        }),
        render: Render::default(),
    }
}

fn ask(client: &mut Client, request: &Request) {
    match client.call(request) {
        Ok(Response::Segment(_)) => {}
        other => panic!("unexpected reply {other:?}"),
    }
}

/// The floor for any request/response over a Unix socket here: a bare
/// echo thread, same line length, same number of round trips.
fn echo_floor(line_len: usize, n: usize) -> Vec<Duration> {
    use std::io::{BufRead, BufReader, Write};
    let (a, b) = std::os::unix::net::UnixStream::pair().expect("socketpair");
    let echo = std::thread::spawn(move || {
        let mut reader = BufReader::new(b.try_clone().unwrap());
        let mut writer = b;
        let mut line = Vec::new();
        while reader.read_until(b'\n', &mut line).unwrap_or(0) > 0 {
            writer.write_all(&line).unwrap();
            line.clear();
        }
    });
    let mut message = vec![b'x'; line_len];
    message.push(b'\n');
    let mut reader = BufReader::new(a.try_clone().unwrap());
    let mut writer = a;
    let mut line = Vec::new();
    let mut lat = Vec::with_capacity(n);
    for i in 0..n + 2000 {
        let t = Instant::now();
        writer.write_all(&message).unwrap();
        line.clear();
        reader.read_until(b'\n', &mut line).unwrap();
        if i >= 2000 {
            lat.push(t.elapsed());
        }
    }
    drop(writer);
    drop(reader);
    echo.join().unwrap();
    lat.sort();
    lat
}

/// Latency on one persistent connection, beside the echo floor.
pub fn latency(world: &World) -> anyhow::Result<()> {
    let mut client = Client::connect(&world.socket(), Duration::from_secs(1), "bench")?;
    let request = query(world);
    for _ in 0..2000 {
        ask(&mut client, &request);
    }
    let mut lat: Vec<Duration> = (0..20_000)
        .map(|_| {
            let t = Instant::now();
            ask(&mut client, &request);
            t.elapsed()
        })
        .collect();
    lat.sort();
    println!(
        "query latency, persistent connection: median {:.1} µs, p99 {:.1} µs, max {:.1} µs (20,000 queries)",
        micros(percentile(&lat, 0.5)),
        micros(percentile(&lat, 0.99)),
        micros(*lat.last().unwrap())
    );
    let request_len = dctx_ipc::protocol::encode_line(&request).len();
    let floor = echo_floor(request_len, 20_000);
    println!(
        "  reference, bare Unix-socket echo of the same size: median {:.1} µs, p99 {:.1} µs; daemon/echo median {:.2}x",
        micros(percentile(&floor, 0.5)),
        micros(percentile(&floor, 0.99)),
        ratio(percentile(&lat, 0.5), percentile(&floor, 0.5))
    );
    Ok(())
}

pub fn throughput(world: &Arc<World>, clients: usize, duration: Duration) -> f64 {
    let start = Instant::now();
    let handles: Vec<_> = (0..clients)
        .map(|_| {
            let world = world.clone();
            std::thread::spawn(move || {
                let mut client =
                    Client::connect(&world.socket(), Duration::from_secs(1), "bench").unwrap();
                let request = query(&world);
                let mut n = 0u64;
                while start.elapsed() < duration {
                    ask(&mut client, &request);
                    n += 1;
                }
                n
            })
        })
        .collect();
    let total: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    total as f64 / start.elapsed().as_secs_f64()
}

/// Idle: no timers, so no wake-ups and no CPU while nothing changes.
pub fn idle(pid: u32) {
    std::thread::sleep(Duration::from_millis(200));
    let (ticks0, wake0) = (cpu_ticks(pid).unwrap_or(0), wakeups(pid));
    std::thread::sleep(Duration::from_secs(3));
    let (ticks1, wake1) = (cpu_ticks(pid).unwrap_or(0), wakeups(pid));
    println!(
        "idle 3 s: {} CPU ticks, {} thread wake-ups",
        ticks1 - ticks0,
        wake1 - wake0
    );
}
