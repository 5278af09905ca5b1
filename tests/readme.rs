//! The README's command-line examples run: every line of the `sh` block under "Examples" in the
//! command-line section, from the repository root, with the freshly built `eqlite` on PATH.

use std::path::Path;
use std::process::Command;

fn cli_examples(readme: &str) -> Vec<String> {
    let section = readme
        .split("## Using it from the command line")
        .nth(1)
        .and_then(|rest| rest.split("### Examples").nth(1))
        .expect("README has a command-line Examples section");
    let block = section
        .split("```sh\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the Examples section has a sh block");
    block
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_string)
        .collect()
}

#[test]
fn readme_cli_examples_run() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let examples = cli_examples(&readme);
    assert!(examples.len() >= 5, "found only {examples:?}");
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_eqlite"))
        .parent()
        .expect("binary directory");
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for example in examples {
        let out = Command::new("bash")
            .args(["-euo", "pipefail", "-c", &example])
            .current_dir(root)
            .env("PATH", &path)
            .output()
            .expect("bash runs");
        assert!(
            out.status.success(),
            "`{example}` exited {:?}: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!out.stdout.is_empty(), "`{example}` printed nothing");
    }
}
