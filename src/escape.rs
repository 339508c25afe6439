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

fn escape(text: &str, keep_newlines: bool) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_string();
    }
    text.chars()
        .map(|c| {
            if c.is_control() && !(keep_newlines && c == '\n') {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        let hostile = "ok\u{1b}]0;pwned\u{7}\nSubject: system:admin\r";
        assert_eq!(line(hostile), "ok\\u{1b}]0;pwned\\u{7}\\nSubject: system:admin\\r");
        assert_eq!(message(hostile), "ok\\u{1b}]0;pwned\\u{7}\nSubject: system:admin\\r");
        assert_eq!(line("plain ü"), "plain ü");
    }

    #[test]
    fn long_text_is_cut_on_a_character_boundary() {
        assert_eq!(cut("short", 10), "short");
        assert_eq!(cut("ééé", 3), "é... (4 more bytes not shown)");
        let long = "x".repeat(64 << 20);
        assert!(cut(&long, MAX_FOREIGN_TEXT).len() < MAX_FOREIGN_TEXT + 64);
    }
}
