//! "Did you mean": the names closest to a mistyped one. Names come from
//! files anyone could have written, so they are shown escaped
//! (`terminal_text::for_terminal`), never as raw bytes.

use dctx_core::terminal_text::for_terminal;

/// `" (did you mean a or b?)"` for the names within two edits of `name`,
/// closest first, or nothing when none is close.
pub fn close_names(name: &str, names: &[&str]) -> String {
    let mut close: Vec<(usize, &str)> = names
        .iter()
        .map(|n| (edit_distance(&name.to_lowercase(), &n.to_lowercase()), *n))
        .filter(|(d, _)| *d <= 2)
        .collect();
    close.sort();
    match close.as_slice() {
        [] => String::new(),
        [(_, one)] => format!(" (did you mean {}?)", for_terminal(one)),
        many => {
            let names: Vec<String> = many
                .iter()
                .take(3)
                .map(|(_, n)| for_terminal(n).into_owned())
                .collect();
            format!(" (did you mean {}?)", names.join(" or "))
        }
    }
}

/// The error for a context `name` that is not among `rows`, with the
/// close names.
pub fn no_such_context(name: &str, rows: &[dctx_core::contexts::Listed]) -> anyhow::Error {
    let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
    anyhow::anyhow!(
        "no context named \"{}\"{}; `dctx ls` lists them",
        for_terminal(name),
        close_names(name, &names)
    )
}

/// Levenshtein distance, by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let next = (prev + usize::from(ca != cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_names_within_two_edits() {
        let names = ["prod", "prod-eu", "staging", "default"];
        assert_eq!(close_names("prdo", &names), " (did you mean prod?)");
        assert_eq!(close_names("Staging1", &names), " (did you mean staging?)");
        assert_eq!(close_names("zzz", &names), "");
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(
            close_names("pro", &["prod\u{1b}[2J", "pr\u{202e}o"]),
            " (did you mean pr\\u{202e}o?)"
        );
    }
}
