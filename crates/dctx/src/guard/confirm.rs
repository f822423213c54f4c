//! `mode = "confirm"`: the question on the terminal. Typeahead is thrown
//! away first, so that keys typed before the question was shown (a name
//! meant for the next command) cannot answer it; the question names the
//! engine the daemon's last probe saw, and a wrong or empty answer runs
//! nothing.

use std::ffi::OsString;
use std::io::{BufRead, IsTerminal, Read, Write};

use dctx_core::engine::EngineReport;
use dctx_core::guard::Decision;
use dctx_core::terminal_text::for_terminal;

/// Asks for the context's name when `d` may be confirmed: `None` when
/// there is nothing to ask or no terminal to ask on (the refusal stands),
/// else whether the answer was the context's name.
pub fn ask(d: &Decision, args: &[OsString], engine: Option<&EngineReport>) -> Option<bool> {
    if !d.confirm || !std::io::stdin().is_terminal() {
        return None;
    }
    let mut tty = std::fs::File::options()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .ok()?;
    // What was typed before the question is not an answer to it.
    let _ = rustix::termios::tcflush(&tty, rustix::termios::QueueSelector::IFlush);
    tty.write_all(question(d, args, engine).as_bytes()).ok()?;
    let mut answer = String::new();
    let mut reader = std::io::BufReader::new((&tty).take(1024));
    if reader.read_line(&mut answer).is_err() {
        return Some(false);
    }
    Some(answer.trim_end_matches(['\n', '\r']) == d.context)
}

/// The question: the refusal's target and reasons under a `confirm`
/// heading, the engine as last probed, and what to type.
pub fn question(d: &Decision, args: &[OsString], engine: Option<&EngineReport>) -> String {
    let refusal = d.refusal_text(args);
    let mut lines = refusal.lines();
    let heading = lines.next().unwrap_or_default();
    let mut out = match heading.strip_prefix("dctx guard: refused: ") {
        Some(line) => format!("dctx guard: confirm: {line}\n"),
        None => format!("{heading}\n"),
    };
    let mut rest = lines.map(|l| format!("{l}\n"));
    // The target first, then the engine behind it.
    out.extend(rest.next());
    if let Some(text) = engine.and_then(engine_line) {
        out.push_str(&text);
    }
    out.extend(rest);
    out.push_str(&format!(
        "dctx guard: type the context's name to run `{}` on it (anything else runs nothing): ",
        for_terminal(&d.command).into_owned()
    ));
    out
}

/// `  engine:  NAME, ID …, probed N s ago`, when a probe saw one.
fn engine_line(e: &EngineReport) -> Option<String> {
    if e.name.is_none() && e.id.is_none() {
        return None;
    }
    let mut text = format!(
        "  engine:  {}, ID {}",
        for_terminal(e.name.as_deref().unwrap_or("(no name)")).into_owned(),
        for_terminal(e.id.as_deref().unwrap_or("(unknown)")).into_owned()
    );
    if let Some(age) = e.age_ms {
        text.push_str(&format!(", last probed {} s ago", age / 1000));
    }
    text.push('\n');
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::refused_prune as decision;

    #[test]
    fn the_question_says_confirm_and_names_the_probed_engine() {
        let args: Vec<OsString> = ["system", "prune", "-af"].map(Into::into).to_vec();
        let mut engine = EngineReport::new(true, None, None, 0);
        engine.name = Some("prod-engine\u{202e}x".into());
        engine.id = Some("ABCD:EFGH".into());
        engine.age_ms = Some(3500);
        let q = question(&decision(), &args, Some(&engine));
        let lines: Vec<&str> = q.lines().collect();
        assert_eq!(lines[0], "dctx guard: confirm: docker system prune -af");
        assert!(
            lines[1].starts_with("  target:  context prod at tcp://h:2375"),
            "{q}"
        );
        assert_eq!(
            lines[2],
            r"  engine:  prod-engine\u{202e}x, ID ABCD:EFGH, last probed 3 s ago"
        );
        assert!(!q.contains("refused"), "{q}");
        assert!(lines.last().unwrap().contains("type the context's name"));
        // No probe: no engine line.
        let q = question(
            &decision(),
            &args,
            Some(&EngineReport::new(true, None, None, 0)),
        );
        assert!(!q.contains("engine:"), "{q}");
    }
}
