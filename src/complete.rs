//! `kubectl satoken <TAB>`: completion candidates for kubectl's plugin completion protocol.

use std::io::Write;

/// Prints one candidate per line, then `:<directive>` (cobra's ShellCompDirective).
pub fn run(_words: &[String], out: &mut impl Write) -> std::io::Result<()> {
    writeln!(out, ":4")
}
