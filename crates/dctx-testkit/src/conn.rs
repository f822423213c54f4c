//! A raw protocol connection to the daemon under test, for driving it
//! byte by byte (and for knowing that it answers at all).

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;

/// One connection; JSON lines in and out.
pub struct Conn {
    reader: BufReader<UnixStream>,
}

impl Conn {
    /// Connects and completes the handshake.
    pub fn open(socket: &Path) -> std::io::Result<Conn> {
        let mut conn = Conn::raw(socket)?;
        let hello =
            conn.call(&serde_json::json!({"type": "hello", "protocol": dctx_ipc::protocol::PROTOCOL_VERSION, "client": "tests"}))?;
        if hello["type"] != "hello" {
            return Err(std::io::Error::other(format!("bad hello reply {hello}")));
        }
        Ok(conn)
    }

    /// Connects without a handshake.
    pub fn raw(socket: &Path) -> std::io::Result<Conn> {
        let stream = UnixStream::connect(socket)?;
        stream.set_read_timeout(Some(std::time::Duration::from_secs(5)))?;
        Ok(Conn {
            reader: BufReader::new(stream),
        })
    }

    pub fn send_bytes(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.reader.get_mut().write_all(bytes)
    }

    pub fn shutdown_write(&self) {
        let _ = self.reader.get_ref().shutdown(std::net::Shutdown::Write);
    }

    /// Reads one reply line as JSON; `Err(UnexpectedEof)` when closed.
    pub fn read(&mut self) -> std::io::Result<serde_json::Value> {
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        serde_json::from_str(&line).map_err(std::io::Error::other)
    }

    pub fn call(&mut self, request: &serde_json::Value) -> std::io::Result<serde_json::Value> {
        let mut line = serde_json::to_vec(request)?;
        line.push(b'\n');
        self.send_bytes(&line)?;
        self.read()
    }

    /// A Query for a shell with these DOCKER_* variables.
    pub fn query(
        &mut self,
        home: &Path,
        vars: &[(&str, &str)],
        caller: Option<(u32, &str)>,
    ) -> serde_json::Value {
        let vars: serde_json::Map<String, serde_json::Value> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), serde_json::Value::from(*v)))
            .collect();
        let caller = caller.map(|(pid, tty)| serde_json::json!({"pid": pid, "tty": tty}));
        let request = serde_json::json!({
            "type": "query",
            "env": {"vars": vars, "home": home},
            "caller": caller,
            "render": {"shell": "plain", "format": "{name}|{host}"},
        });
        let reply = self.call(&request).expect("query");
        assert_eq!(reply["type"], "segment", "{reply}");
        reply
    }
}
