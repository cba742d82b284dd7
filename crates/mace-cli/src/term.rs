//! Printing to stdout without panicking: a closed pipe (`mace … | head -1`) or a full device
//! (`> /dev/full`) ends the program with a one-line error and exit status 1, like ripgrep,
//! instead of the panic of `println!`.

use std::io::Write;

/// Prints a line to stdout (as `println!`), ending the program cleanly if stdout is gone.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::term::say_line(format_args!($($arg)*))
    };
}

/// Writes `args` and a newline to stdout; see the module docs.
pub(crate) fn say_line(args: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.write_all(b"\n")) {
        stdout_failed(&e);
    }
}

/// Writes `text` (no newline added) to stdout and flushes; see the module docs.
pub(crate) fn say_raw(text: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        stdout_failed(&e);
    }
}

/// Flushes stdout at the end of the program; see the module docs.
pub(crate) fn flush() {
    if let Err(e) = std::io::stdout().lock().flush() {
        stdout_failed(&e);
    }
}

fn stdout_failed(e: &std::io::Error) -> ! {
    // stderr may be gone too: nothing more can be done then.
    let _ = writeln!(std::io::stderr(), "error: writing to stdout: {e}");
    std::process::exit(1)
}

/// An error and its causes on one line, `outer: cause: …`, leaving out a cause whose text the
/// line already holds (many errors print their source themselves) and folding line breaks.
pub(crate) fn one_line(err: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if text.is_empty() || line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}
