//! What is wrong with a config file, said the way a compiler says it: the file, line and
//! column, the key, the line itself with the place marked, and a suggestion when there is
//! one.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use super::node::line_col;

/// One problem in a config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    /// What is wrong, naming the key (`` unknown key `sampels` in `[[scenario]]` ``).
    pub(crate) message: String,
    /// The bytes of the file it is about.
    pub(crate) at: Range<usize>,
    /// What to write instead, when it is known (`` did you mean `samples`? ``).
    pub(crate) help: Option<String>,
    /// The line may hold a secret (an API key written into the file): it is not shown.
    pub(crate) hide_line: bool,
}

impl Problem {
    pub(crate) fn new(message: impl Into<String>, at: Range<usize>) -> Problem {
        Problem {
            message: message.into(),
            at,
            help: None,
            hide_line: false,
        }
    }

    /// The same problem, shown without its line (which may hold a secret).
    pub(crate) fn hiding_line(mut self) -> Problem {
        self.hide_line = true;
        self
    }

    pub(crate) fn help(mut self, help: impl Into<String>) -> Problem {
        self.help = Some(help.into());
        self
    }
}

/// Why a config file could not be used: it could not be read, or these problems (every one
/// found, in the order of the file).
#[derive(Debug)]
pub(crate) enum ConfigError {
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    /// The file's name ends neither in `.toml` nor in `.yaml`/`.yml`.
    Format { path: PathBuf },
    Invalid {
        path: PathBuf,
        text: String,
        problems: Vec<Problem>,
    },
}

impl ConfigError {
    pub(crate) fn invalid(path: &Path, text: &str, mut problems: Vec<Problem>) -> ConfigError {
        problems.sort_by_key(|p| (p.at.start, p.at.end));
        problems.dedup();
        ConfigError::Invalid {
            path: path.to_path_buf(),
            text: text.to_owned(),
            problems,
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Read { path, error } => {
                write!(f, "error: could not read {}: {error}", path.display())
            }
            ConfigError::Format { path } => write!(
                f,
                "error: {}: a config file is TOML (`.toml`) or YAML (`.yaml`, `.yml`); name it so",
                path.display()
            ),
            ConfigError::Invalid {
                path,
                text,
                problems,
            } => {
                for (i, problem) in problems.iter().enumerate() {
                    if i > 0 {
                        writeln!(f)?;
                    }
                    write_problem(f, path, text, problem)?;
                }
                let n = problems.len();
                write!(
                    f,
                    "\nllm-bench: {} has {n} problem{}; nothing was run",
                    path.display(),
                    if n == 1 { "" } else { "s" }
                )
            }
        }
    }
}

/// `error: PATH:LINE:COL: MESSAGE`, the line with the place underlined, and the help.
fn write_problem(
    f: &mut fmt::Formatter<'_>,
    path: &Path,
    text: &str,
    problem: &Problem,
) -> fmt::Result {
    let (line, col) = line_col(text, problem.at.start);
    writeln!(
        f,
        "error: {}:{line}:{col}: {}",
        path.display(),
        problem.message
    )?;
    let source_line = text.lines().nth(line - 1).unwrap_or("");
    let number = line.to_string();
    let pad = " ".repeat(number.len());
    // Underline the value's characters on its first line (at least one).
    let on_line = source_line.chars().count().saturating_sub(col - 1);
    let width = text
        .get(problem.at.clone())
        .map_or(1, |s| s.lines().next().unwrap_or("").chars().count())
        .clamp(1, on_line.max(1));
    if problem.hide_line {
        write!(f, "{pad} | (the line is not shown: it may hold a secret)")?;
    } else {
        writeln!(f, "{pad} |")?;
        writeln!(f, "{number} | {source_line}")?;
        write!(f, "{pad} | {}{}", " ".repeat(col - 1), "^".repeat(width))?;
    }
    if let Some(help) = &problem.help {
        write!(f, "\n{pad} = help: {help}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{ConfigError, Problem};
    use std::path::Path;

    #[test]
    fn a_problem_shows_file_line_column_and_the_place() {
        let text = "[[scenario]]\nname = \"a\"\nsampels = 40\n";
        let at = text.find("sampels").unwrap();
        let err = ConfigError::invalid(
            Path::new("bench.toml"),
            text,
            vec![
                Problem::new("unknown key `sampels` in `[[scenario]]`", at..at + 7)
                    .help("did you mean `samples`?"),
            ],
        );
        assert_eq!(
            err.to_string(),
            "error: bench.toml:3:1: unknown key `sampels` in `[[scenario]]`\n  |\n3 | sampels = 40\n  | ^^^^^^^\n  = help: did you mean `samples`?\nllm-bench: bench.toml has 1 problem; nothing was run"
        );
    }
}
