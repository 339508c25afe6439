//! Text from outside (server messages, JWT claims, kubeconfig names) on its way to a terminal:
//! control characters shown escaped, so that it cannot move the cursor, retitle the window or
//! fake a line of output; and long server text cut, as kubectl cuts it.

/// How much of one foreign text a message keeps (kubectl keeps about 2 KiB of an error body).
pub const MAX_FOREIGN_TEXT: usize = 2048;

/// One value on one line: every control character, the line break included, escaped.
pub fn line(text: &str) -> String {
    escape(text, false)
}

/// A message that may span lines: control characters other than the line break escaped.
pub fn message(text: &str) -> String {
    escape(text, true)
}

/// Characters that change how the text around them is shown without being shown themselves:
/// control characters, and the bidirectional overrides and isolates that can make a line read
/// in another order than it is written ("Trojan Source").
fn hidden(c: char) -> bool {
    c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn escape(text: &str, keep_newlines: bool) -> String {
    if !text.chars().any(hidden) {
        return text.to_string();
    }
    text.chars()
        .map(|c| {
            if hidden(c) && !(keep_newlines && c == '\n') {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Foreign text quoted inside one line of a message (a server's reason, an error of theirs):
/// secrets scrubbed, cut to [`MAX_FOREIGN_TEXT`], every control character escaped, so that it
/// can neither show a secret nor start a line of its own.
pub fn foreign(text: &str) -> String {
    line(&cut(&crate::redact::scrub(text), MAX_FOREIGN_TEXT))
}

/// `text` cut to at most `max` bytes (on a character boundary), saying how much was left out.
pub fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}... ({} more bytes not shown)", &text[..end], text.len() - end)
}

/// A line-buffered writer for stderr that every line of a command's messages passes through:
/// known secrets scrubbed ([`crate::redact`]), control characters other than the line break
/// escaped, and each line cut to twice [`MAX_FOREIGN_TEXT`]. Whatever a message quotes (a
/// server's reason, a record field), it reaches the terminal this way.
pub struct SafeLines<W: std::io::Write> {
    inner: W,
    pending: Vec<u8>,
}

impl<W: std::io::Write> SafeLines<W> {
    pub fn new(inner: W) -> Self {
        SafeLines {
            inner,
            pending: Vec::new(),
        }
    }

    fn emit(&mut self, line: &[u8]) -> std::io::Result<()> {
        let text = String::from_utf8_lossy(line);
        let (body, newline) = match text.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (text.as_ref(), ""),
        };
        let safe = cut(&crate::redact::scrub(body), 2 * MAX_FOREIGN_TEXT);
        write!(self.inner, "{}{newline}", self::line(&safe))
    }
}

impl<W: std::io::Write> std::io::Write for SafeLines<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(buf);
        while let Some(end) = self.pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            self.emit(&line)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.pending.is_empty() {
            let rest = std::mem::take(&mut self.pending);
            self.emit(&rest)?;
        }
        self.inner.flush()
    }
}

impl<W: std::io::Write> Drop for SafeLines<W> {
    fn drop(&mut self) {
        let _ = std::io::Write::flush(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_lines_scrub_escape_and_cut_every_line() {
        crate::redact::remember("safe-lines-secret-123");
        let mut out = Vec::new();
        {
            let mut safe = SafeLines::new(&mut out);
            use std::io::Write;
            write!(safe, "warning: 500 \u{1b}]0;x\u{7} safe-lines-").unwrap();
            writeln!(safe, "secret-123 Bearer abc.def").unwrap();
            writeln!(safe, "{}", "y".repeat(10_000)).unwrap();
            write!(safe, "no newline").unwrap();
        }
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "warning: 500 \\u{1b}]0;x\\u{7} [REDACTED] Bearer [REDACTED]");
        assert!(lines[1].len() < 2 * MAX_FOREIGN_TEXT + 64);
        assert_eq!(lines[2], "no newline");
    }

    #[test]
    fn control_characters_are_escaped() {
        let hostile = "ok\u{1b}]0;pwned\u{7}\nSubject: system:admin\r";
        assert_eq!(line(hostile), "ok\\u{1b}]0;pwned\\u{7}\\nSubject: system:admin\\r");
        assert_eq!(message(hostile), "ok\\u{1b}]0;pwned\\u{7}\nSubject: system:admin\\r");
        assert_eq!(line("plain ü"), "plain ü");
        assert_eq!(line("admin\u{202e}txt.exe"), "admin\\u{202e}txt.exe");
    }

    #[test]
    fn long_text_is_cut_on_a_character_boundary() {
        assert_eq!(cut("short", 10), "short");
        assert_eq!(cut("ééé", 3), "é... (4 more bytes not shown)");
        let long = "x".repeat(64 << 20);
        assert!(cut(&long, MAX_FOREIGN_TEXT).len() < MAX_FOREIGN_TEXT + 64);
    }
}
