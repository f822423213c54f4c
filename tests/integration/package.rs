//! The Debian package: built once by `packaging/build-deb` (only when
//! `DCTX_TEST_PACKAGE=1`, because it is a release build: `.ci/run` runs
//! these tests explicitly after the main suite), unpacked with the real
//! `dpkg-deb -x` into a scratch root, and checked as an administrator
//! would meet it: static executables, man pages that render and name every
//! subcommand, completions and user units where the system looks for them,
//! and the system-wide shell snippets enabled by `enable-shells` and
//! loaded by real interactive bash, zsh and fish in tmux.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use dctx_tests::{require_tool, run, run_ok, system_path, text, Sandbox, Tmux};

/// What `dctx_core::guard::REFUSED_STATUS` documents.
const REFUSED: i32 = 77;

/// The `.deb` under test, or None (and why) when the package tests are not
/// asked for: `DCTX_TEST_PACKAGE=1` builds it, `DCTX_TEST_PACKAGE=FILE.deb`
/// tests one built already.
fn deb(test: &str) -> Option<&'static Path> {
    let asked = std::env::var_os("DCTX_TEST_PACKAGE").unwrap_or_default();
    if asked.is_empty() {
        eprintln!("skipped {test}: set DCTX_TEST_PACKAGE=1 to build and test the Debian package");
        return None;
    }
    if !require_tool("dpkg-deb", test) {
        return None;
    }
    static DEB: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, deb) = DEB.get_or_init(|| {
        if asked != "1" {
            let deb = PathBuf::from(&asked);
            assert!(deb.is_file(), "DCTX_TEST_PACKAGE={deb:?} is no file");
            return (tempfile::tempdir().expect("temp dir"), deb);
        }
        let out = tempfile::Builder::new()
            .prefix("dctx-deb")
            .tempdir()
            .expect("temp dir");
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let stdout = run_ok(
            Command::new(root.join("packaging/build-deb"))
                .arg(out.path())
                .current_dir(root),
        );
        let deb = PathBuf::from(
            stdout
                .lines()
                .last()
                .expect("build-deb prints the .deb")
                .trim(),
        );
        assert!(deb.is_file(), "build-deb said {deb:?}, which is no file");
        (out, deb)
    });
    Some(deb)
}

/// The package unpacked into a fresh directory of the sandbox.
fn unpack(sandbox: &Sandbox, deb: &Path) -> PathBuf {
    let root = sandbox.path().join("root");
    run_ok(Command::new("dpkg-deb").arg("-x").arg(deb).arg(&root));
    root
}

/// Whether the ELF file at `path` asks for a dynamic loader (PT_INTERP).
fn has_interpreter(path: &Path) -> bool {
    let elf = std::fs::read(path).expect("read binary");
    assert_eq!(&elf[..4], b"\x7fELF", "{} is not ELF", path.display());
    assert_eq!(elf[4], 2, "64-bit ELF expected");
    let u16_at = |at: usize| u16::from_le_bytes(elf[at..at + 2].try_into().unwrap()) as usize;
    let phoff = u64::from_le_bytes(elf[0x20..0x28].try_into().unwrap()) as usize;
    let (size, count) = (u16_at(0x36), u16_at(0x38));
    (0..count).any(|i| {
        let at = phoff + i * size;
        u32::from_le_bytes(elf[at..at + 4].try_into().unwrap()) == 3
    })
}

/// The subcommands `dctx --help` lists (the binary's own words, not ours).
fn subcommands(dctx: &Path) -> Vec<String> {
    let help = run_ok(Command::new(dctx).arg("--help"));
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

/// A man page as a reader sees it: through `man -l` when man is installed,
/// else its (gunzipped) roff source.
fn rendered(page: &Path) -> String {
    let has_man = std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join("man").is_file()));
    if !has_man {
        return run_ok(Command::new("gzip").arg("-dcf").arg(page));
    }
    let out = run(Command::new("man")
        .arg("-l")
        .arg(page)
        .env("MANWIDTH", "200")
        .env("MANPAGER", "cat")
        .env("PAGER", "cat"));
    assert!(
        out.status.success(),
        "man -l {}: {}",
        page.display(),
        text(&out.stderr)
    );
    // Hyphens and bold come out as overstrikes when not on a terminal.
    let mut plain = String::new();
    for c in text(&out.stdout).chars() {
        if c == '\u{8}' {
            plain.pop();
        } else {
            plain.push(c);
        }
    }
    plain.replace('\u{2010}', "-")
}

#[test]
fn the_package_holds_static_binaries_man_pages_completions_units_and_snippets() {
    let test = "package contents";
    let Some(deb) = deb(test) else { return };
    let sandbox = Sandbox::new();
    let root = unpack(&sandbox, deb);

    let field = |name: &str| run_ok(Command::new("dpkg-deb").args(["-f"]).arg(deb).arg(name));
    assert_eq!(field("Package").trim(), "dctx");
    // Static binaries need no libraries, so nothing to depend on.
    assert_eq!(
        field("Depends").trim(),
        "",
        "static binaries depend on nothing"
    );

    for bin in ["dctx", "dctx-prompt"] {
        let path = root.join("usr/bin").join(bin);
        let mode = std::fs::metadata(&path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o111,
            0o111,
            "{bin} is not executable by all: {mode:o}"
        );
        assert!(
            !has_interpreter(&path),
            "{bin} asks for a dynamic loader: not static"
        );
        let version = run_ok(Command::new(&path).arg("--version"));
        assert!(version.starts_with(bin), "{bin} --version: {version}");
    }

    // Man pages: one per (sub)command, naming every subcommand.
    let man1 = root.join("usr/share/man/man1");
    let page = |name: &str| {
        ["", ".gz"]
            .iter()
            .map(|ext| man1.join(format!("{name}.1{ext}")))
            .find(|p| p.is_file())
            .unwrap_or_else(|| panic!("no man page {name}.1 in {}", man1.display()))
    };
    let dctx_page = rendered(&page("dctx"));
    let names = subcommands(&root.join("usr/bin/dctx"));
    assert!(
        names.len() >= 10,
        "too few subcommands in --help: {names:?}"
    );
    for name in &names {
        assert!(
            dctx_page.contains(&format!("dctx-{name}(1)")),
            "dctx(1) does not mention {name}:\n{dctx_page}"
        );
        page(&format!("dctx-{name}"));
    }
    let prompt_page = rendered(&page("dctx-prompt"));
    for flag in ["--format", "--shell", "--no-daemon"] {
        assert!(
            prompt_page.contains(flag),
            "dctx-prompt(1) lacks {flag}:\n{prompt_page}"
        );
    }

    // Completions where bash-completion, zsh and fish look, each asking the
    // runtime `dctx ls --names` for context names.
    let read = |rel: &str| {
        std::fs::read_to_string(root.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    };
    for rel in [
        "usr/share/bash-completion/completions/dctx",
        "usr/share/bash-completion/completions/dctx-prompt",
        "usr/share/zsh/vendor-completions/_dctx",
        "usr/share/fish/vendor_completions.d/dctx.fish",
        "usr/share/fish/vendor_completions.d/dctx-prompt.fish",
    ] {
        assert!(
            read(rel).contains("ls --names"),
            "{rel} does not complete context names"
        );
    }
    assert!(
        read("usr/share/zsh/vendor-completions/_dctx").starts_with("#compdef dctx dctx-prompt\n"),
        "compinit registers only a file whose first line is #compdef"
    );

    // The user units run the packaged binary.
    let service = read("usr/lib/systemd/user/dctx.service");
    assert!(
        service
            .lines()
            .any(|l| l == "ExecStart=/usr/bin/dctx daemon run"),
        "{service}"
    );
    assert!(read("usr/lib/systemd/user/dctx.socket").contains("ListenStream=%t/dctx/dctx.sock"));

    for rel in ["dctx.bash", "dctx.zsh", "dctx.fish"] {
        assert!(
            root.join("usr/share/dctx/shells").join(rel).is_file(),
            "{rel}"
        );
    }
    let enable = root.join("usr/share/dctx/enable-shells");
    let mode = std::fs::metadata(&enable)
        .expect("enable-shells")
        .permissions()
        .mode();
    assert_eq!(
        mode & 0o111,
        0o111,
        "enable-shells is not executable: {mode:o}"
    );
}

/// `enable-shells --root` on the unpacked package: once edits, twice not.
fn enable_shells(root: &Path) {
    let enable = || {
        run_ok(
            Command::new(root.join("usr/share/dctx/enable-shells"))
                .arg("--root")
                .arg(root),
        )
    };
    let first = enable();
    for file in [
        "etc/bash.bashrc",
        "etc/zsh/zshrc",
        "etc/fish/conf.d/dctx.fish",
    ] {
        assert!(
            first.contains(file),
            "enable-shells did not enable {file}: {first}"
        );
    }
    let files = || {
        [
            "etc/bash.bashrc",
            "etc/zsh/zshrc",
            "etc/fish/conf.d/dctx.fish",
        ]
        .map(|f| std::fs::read_to_string(root.join(f)).expect("enabled file"))
    };
    let before = files();
    assert_eq!(enable(), "", "enable-shells run again changed something");
    assert_eq!(files(), before, "enable-shells run again changed a file");
}

/// A shell as a user on the machine gets it: the system file the package
/// enabled, then the user's own rc (which sets its own prompt, and may load
/// `dctx init` itself too), with PATH into the unpacked `/usr/bin`.
fn start_shell<'a>(
    sandbox: &'a Sandbox,
    root: &Path,
    shell: &str,
    label: &str,
    user_init: bool,
) -> Tmux<'a> {
    let home = sandbox.home();
    let root = root.display();
    let command = match shell {
        "bash" => {
            let own = if user_init {
                "eval \"$(dctx init bash)\"\n"
            } else {
                ""
            };
            std::fs::write(
                home.join(".bashrc"),
                format!(". '{root}/etc/bash.bashrc'\n{own}PS1='bash$ '\n"),
            )
            .unwrap();
            format!(
                "bash --noprofile --rcfile '{}' -i",
                home.join(".bashrc").display()
            )
        }
        "zsh" => {
            let own = if user_init {
                "eval \"$(dctx init zsh)\"\n"
            } else {
                ""
            };
            std::fs::write(
                home.join(".zshrc"),
                format!(". '{root}/etc/zsh/zshrc'\n{own}PROMPT='zsh> '\n"),
            )
            .unwrap();
            // -d: not this machine's /etc/zsh; the scratch root's instead.
            format!("env ZDOTDIR='{}' zsh -d -i", home.display())
        }
        _ => {
            let own = if user_init {
                "dctx init fish | source\n"
            } else {
                ""
            };
            let config = home.join("config.fish");
            std::fs::write(
                &config,
                format!(
                    "source '{root}/etc/fish/conf.d/dctx.fish'\n{own}function fish_prompt; printf 'fish> '; end\n"
                ),
            )
            .unwrap();
            format!("fish --no-config -i -C 'source {}'", config.display())
        }
    };
    let path = format!("{root}/usr/bin:{}", system_path().to_string_lossy());
    Tmux::start(sandbox, label, &format!("env PATH='{path}' {command}"))
}

/// Types `line` and waits for a screen line starting with `marker=`.
fn answer(tmux: &Tmux, line: &str, marker: &str) -> String {
    tmux.type_line(line);
    let mut found = String::new();
    dctx_tests::wait_for(marker, std::time::Duration::from_secs(20), || {
        found = tmux
            .screen()
            .lines()
            .rev()
            .find_map(|l| l.strip_prefix(&format!("{marker}=")))
            .unwrap_or_default()
            .to_string();
        !found.is_empty()
    });
    found
}

fn snippets_load(shell: &'static str) {
    let test = format!("package snippets in {shell}");
    let Some(deb) = deb(&test) else { return };
    for tool in ["tmux", "docker", shell] {
        if !require_tool(tool, &test) {
            return;
        }
    }
    let sandbox = Sandbox::new();
    let root = unpack(&sandbox, deb);
    enable_shells(&root);
    sandbox.create_contexts(&[
        ("staging", "tcp://10.1.1.1:2375"),
        ("other", "tcp://10.1.1.2:2375"),
    ]);
    run_ok(sandbox.docker().args(["context", "use", "staging"]));
    let dir = sandbox.path().join("xdg-config/dctx");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        "[guard]\nprotect = [\"staging\"]\n",
    )
    .unwrap();

    // The prompt the user's rc sets, and how this shell says what `docker`
    // is: the real one, then the guard's function.
    let (own_prompt, export, kind, real, status) = match shell {
        "bash" => (
            "bash$",
            "export DOCKER_CONTEXT=other",
            "echo kind=$(type -t docker)",
            "file",
            "$?",
        ),
        "zsh" => (
            "zsh>",
            "export DOCKER_CONTEXT=other",
            "echo kind=$(whence -w docker | cut -d' ' -f2)",
            "command",
            "$?",
        ),
        _ => (
            "fish>",
            "set -gx DOCKER_CONTEXT other",
            "echo kind=(type -t docker)",
            "file",
            "$status",
        ),
    };

    // Without /etc/dctx/guard-shells: the hook, the segment in front of the
    // user's own prompt, live; docker is the real one.
    let tmux = start_shell(&sandbox, &root, shell, &format!("{shell}-pkg"), false);
    tmux.expect_prompt(&format!("staging {own_prompt}"));
    tmux.type_line(export);
    tmux.expect_prompt(&format!("other {own_prompt}"));
    assert_eq!(
        answer(&tmux, kind, "kind"),
        real,
        "no guard without the marker"
    );
    drop(tmux);

    // With it, and the user's own `dctx init` as well: one hook, one
    // segment, and docker goes through the guard.
    std::fs::create_dir_all(root.join("etc/dctx")).unwrap();
    std::fs::write(root.join("etc/dctx/guard-shells"), "").unwrap();
    let tmux = start_shell(&sandbox, &root, shell, &format!("{shell}-pkg-guard"), true);
    tmux.expect_prompt(&format!("staging {own_prompt}"));
    assert_eq!(
        answer(&tmux, kind, "kind"),
        "function",
        "the marker enables the guard"
    );
    let refused = answer(
        &tmux,
        &format!("docker system prune -af; echo status={status}"),
        "status",
    );
    assert_eq!(refused, REFUSED.to_string(), "{}", tmux.screen());
    match shell {
        "bash" => assert_eq!(
            answer(
                &tmux,
                "echo hooks=$(declare -p PROMPT_COMMAND | grep -o __dctx_precmd | wc -l)",
                "hooks"
            ),
            "1"
        ),
        "zsh" => assert_eq!(
            answer(
                &tmux,
                "echo hooks=${#${(M)precmd_functions:#__dctx_precmd}}",
                "hooks"
            ),
            "1"
        ),
        _ => {}
    }
}

#[test]
fn the_system_snippet_loads_in_bash() {
    snippets_load("bash");
}

#[test]
fn the_system_snippet_loads_in_zsh() {
    snippets_load("zsh");
}

#[test]
fn the_system_snippet_loads_in_fish() {
    snippets_load("fish");
}
