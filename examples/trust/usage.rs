//! Usage errors, worded and numbered as docker's (`cli/required.go`, `cli/cobra.go`): a wrong
//! number of arguments exits 1, an unknown or malformed flag 125, `--help` 0.

use std::process::ExitCode;

use clap::CommandFactory;
use clap::error::{ContextKind, ContextValue, ErrorKind};

use crate::BIN;
use crate::cli::Cli;
use crate::support::errors::Failure;

/// Docker's positional-argument rules (`cli.ExactArgs`, `cli.RequiresMinArgs`).
pub(crate) enum Arity {
    Exact(usize),
    AtLeast(usize),
}

impl Arity {
    pub(crate) fn check(&self, path: &[&str], count: usize) -> Result<(), Failure> {
        let command = std::iter::once(BIN).chain(path.iter().copied()).collect::<Vec<_>>().join(" ");
        let usage = use_line(path);
        let (ok, wanted, see) = match *self {
            Arity::Exact(n) => (count == n, format!("{n} {}", plural("argument", n)), "Run"),
            Arity::AtLeast(n) => (count >= n, format!("at least {n} {}", plural("argument", n)), "See"),
        };
        if ok {
            return Ok(());
        }
        Err(Failure::new(format!(
            "{BIN}: '{command}' requires {wanted}\n\nUsage:  {usage}\n\n{see} '{command} --help' for more information"
        )))
    }
}

fn plural(word: &str, n: usize) -> String {
    if n == 1 { word.to_owned() } else { format!("{word}s") }
}

/// Docker's use line of the command at `path` below the root: the leaf commands' usage
/// (`trust key generate NAME`), or just the path for command groups.
fn use_line(path: &[&str]) -> String {
    let root = Cli::command();
    let mut command = &root;
    for name in path {
        match command.find_subcommand(name) {
            Some(sub) => command = sub,
            None => break,
        }
    }
    let joined = std::iter::once(BIN).chain(path.iter().copied()).collect::<Vec<_>>().join(" ");
    match command.get_overridden_usage() {
        Some(usage) if !command.has_subcommands() => usage.to_string(),
        _ => joined,
    }
}

/// The subcommand path the arguments name (`["key", "generate"]`), for usage messages.
fn command_path(args: &[String]) -> Vec<String> {
    let root = Cli::command();
    let mut command = &root;
    let mut path = Vec::new();
    for arg in args.iter().skip(1).filter(|a| !a.starts_with('-')) {
        match command.find_subcommand(arg) {
            Some(sub) => {
                path.push(sub.get_name().to_owned());
                command = sub;
            }
            None => break,
        }
    }
    path
}

/// Prints a clap error as docker reports the same mistake; returns docker's exit status.
pub(crate) fn usage_error(error: &clap::Error, args: &[String]) -> ExitCode {
    let path = command_path(args);
    let path: Vec<&str> = path.iter().map(String::as_str).collect();
    let command = std::iter::once(BIN).chain(path.iter().copied()).collect::<Vec<_>>().join(" ");
    let usage = use_line(&path);
    let invalid = match error.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(s)) => s.clone(),
        _ => String::new(),
    };
    let flag = invalid.split([' ', '=']).next().unwrap_or_default().to_owned();
    let flag_error = |message: String| {
        eprintln!("{message}\n\nUsage:  {usage}\n\nRun '{command} --help' for more information");
        ExitCode::from(125)
    };
    match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = error.print(); // to stdout, as `docker … --help`
            ExitCode::SUCCESS
        }
        // `trust` or `trust key` alone: docker shows the help on stderr and exits 0.
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand | ErrorKind::MissingSubcommand => {
            eprint!("{}", error.render());
            ExitCode::SUCCESS
        }
        ErrorKind::InvalidSubcommand => {
            let unknown = args.iter().skip(1).filter(|a| !a.starts_with('-')).nth(path.len()).cloned();
            eprintln!(
                "{BIN}: unknown command: {command} {}\n\nUsage:  {usage}\n\nRun '{command} --help' for more information",
                unknown.unwrap_or_default()
            );
            ExitCode::from(1)
        }
        ErrorKind::UnknownArgument if flag.starts_with("--") => flag_error(format!("unknown flag: {flag}")),
        ErrorKind::UnknownArgument if flag.starts_with('-') => {
            let short = flag.trim_start_matches('-');
            let c = short.chars().next().unwrap_or('-');
            flag_error(format!("unknown shorthand flag: '{c}' in -{short}"))
        }
        ErrorKind::InvalidValue | ErrorKind::NoEquals | ErrorKind::TooFewValues if !flag.is_empty() => {
            let long = Cli::command_for(&path).and_then(|c| long_flag(&c, &flag)).unwrap_or(flag);
            flag_error(format!("flag needs an argument: {long}"))
        }
        _ => {
            let text = error.render().to_string();
            let first = text.lines().next().unwrap_or_default().trim_start_matches("error: ").to_owned();
            flag_error(first)
        }
    }
}

impl Cli {
    /// The clap command at `path`.
    fn command_for(path: &[&str]) -> Option<clap::Command> {
        let mut command = Cli::command();
        for name in path {
            command = command.find_subcommand(name)?.clone();
        }
        Some(command)
    }
}

/// `--dir` for the argument clap names `--dir <string>`.
fn long_flag(command: &clap::Command, shown: &str) -> Option<String> {
    let name = shown.trim_start_matches('-');
    command
        .get_arguments()
        .find(|a| a.get_long() == Some(name) || a.get_id() == name)
        .and_then(|a| a.get_long().map(|l| format!("--{l}")))
}
