//! Segment formats: `{name}`, `{host}`, `{description}`, `{source}`, and
//! from engine probes `{engine}`, `{engine_version}` and `{latency}`, with
//! `{{` and `}}` for literal braces. Checked when the settings are
//! read, filled when a segment is rendered.

/// The placeholders a format may use: the one list the format check, the
/// error text, `dctx-prompt --help` and the README (held by a test) read.
pub const PLACEHOLDERS: &[&str] = &[
    "name",
    "host",
    "description",
    "source",
    "engine",
    "engine_version",
    "latency",
];

/// `{name}, {host}, … or {latency}`: the placeholders for a sentence.
pub fn placeholder_list() -> String {
    let all: Vec<String> = PLACEHOLDERS.iter().map(|p| format!("{{{p}}}")).collect();
    match all.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => all.join(""),
    }
}

/// Rejects unknown placeholders and unbalanced braces.
pub fn check_format(format: &str) -> Result<(), String> {
    fill(
        format,
        |key| PLACEHOLDERS.contains(&key).then(String::new),
        usize::MAX,
    )
    .map(drop)
}

/// Fills placeholders with `lookup`, stopping once the output is longer
/// than `limit` bytes; an unknown name or stray brace is an error.
pub fn fill(
    format: &str,
    lookup: impl Fn(&str) -> Option<String>,
    limit: usize,
) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = format;
    while let Some(i) = rest.find(['{', '}']) {
        if out.len() > limit {
            return Ok(out);
        }
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(after) = tail.strip_prefix("{{").or_else(|| tail.strip_prefix("}}")) {
            out.push_str(&tail[..1]);
            rest = after;
            continue;
        }
        if tail.starts_with('}') {
            return Err(format!("unmatched '}}' in format {format:?}"));
        }
        let Some(end) = tail.find('}') else {
            return Err(format!("unclosed '{{' in format {format:?}"));
        };
        let key = &tail[1..end];
        let value = lookup(key).ok_or_else(|| {
            format!(
                "unknown placeholder {{{key}}} in format {format:?} (use {})",
                placeholder_list()
            )
        })?;
        out.push_str(&value);
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mistyped_placeholder_is_told_every_one() {
        let e = check_format("{nmae}").unwrap_err();
        assert!(e.contains("{nmae}"), "{e}");
        assert!(
            e.contains(
                "{name}, {host}, {description}, {source}, {engine}, {engine_version} or {latency}"
            ),
            "{e}"
        );
    }
}
