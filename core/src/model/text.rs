//! Free text from outside: which characters a stored string may hold.
//!
//! Names, address lines, descriptions and review bodies arrive from clients and end up in every
//! store, in emails, CSV exports and logs. PostgreSQL refuses a NUL character in `text` and `jsonb`
//! while SQLite and the memory store keep it, so without one rule here the same request was stored
//! by one backend and failed with a retryable 5xx on another. Every validator that takes text from
//! outside calls one of the two checks below before anything reaches a store, so all stores see the
//! same input and a bad character is a `validation_failed` (422) naming the field.
//!
//! What is refused is Unicode's control category (`Cc`): C0 (U+0000 to U+001F), DEL and C1
//! (U+0080 to U+009F). No person types them; they come from binary garbage, mis-decoded bytes or
//! probes, and echoed into a terminal or log viewer they can rewrite what an operator sees.
//!
//! - [`check_text`], for one-line values (names, titles, address lines, codes, tracking numbers),
//!   refuses every control character, tab and line breaks included: there they are paste
//!   accidents that break one-line displays and CSV rows, and a line break in a name that is
//!   copied into an email header is a header injection.
//! - [`check_multiline_text`], for prose (descriptions, review bodies, attribute values), keeps
//!   tab, line feed and carriage return, which is how people write paragraphs and lists.
//!
//! Lengths stay with each validator: they differ per field, the character rule does not.

use crate::error::{Error, Result};

/// Refuses any control character in a one-line value of `field`.
pub fn check_text(field: &str, value: &str) -> Result<()> {
    check(
        field,
        value,
        |_| false,
        "must not contain control characters",
    )
}

/// Refuses control characters other than tab, line feed and carriage return in a multi-line value
/// of `field`.
pub fn check_multiline_text(field: &str, value: &str) -> Result<()> {
    check(
        field,
        value,
        |c| matches!(c, '\t' | '\n' | '\r'),
        "must not contain control characters other than tab and line breaks",
    )
}

fn check(field: &str, value: &str, allowed: fn(char) -> bool, rule: &str) -> Result<()> {
    match value
        .chars()
        .enumerate()
        .find(|(_, c)| c.is_control() && !allowed(*c))
    {
        None => Ok(()),
        // The character is named by code point, never echoed: it is what the check keeps out of
        // messages and logs.
        Some((index, c)) => Err(Error::validation(
            field,
            format!("{rule} (U+{:04X} at character {})", u32::from(c), index + 1),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(result: Result<()>) -> String {
        match result {
            Err(Error::Validation { field, .. }) => field,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn ordinary_text_passes_both_checks() {
        for ok in [
            "",
            "Classic Tee",
            "Zoë's café — 100 % 🍵",
            "東京都",
            "a\u{00A0}b",
        ] {
            check_text("name", ok).unwrap();
            check_multiline_text("body", ok).unwrap();
        }
    }

    #[test]
    fn nul_and_other_controls_are_refused_with_the_field_named() {
        for bad in [
            "\0",
            "Tee\0",
            "a\u{1}b",
            "bell\u{7}",
            "esc\u{1b}[2J",
            "del\u{7f}",
            "c1\u{85}",
        ] {
            assert_eq!(field_of(check_text("name", bad)), "name", "{bad:?}");
            assert_eq!(
                field_of(check_multiline_text("body", bad)),
                "body",
                "{bad:?}"
            );
        }
        let Err(Error::Validation { message, .. }) = check_text("name", "ab\0") else {
            panic!("NUL passed");
        };
        assert!(message.contains("U+0000 at character 3"), "{message}");
        assert!(!message.contains('\0'));
    }

    #[test]
    fn tab_and_line_breaks_only_in_multiline_text() {
        for text in ["line one\nline two", "a\r\nb", "col\tcol"] {
            check_multiline_text("body", text).unwrap();
            assert_eq!(field_of(check_text("name", text)), "name", "{text:?}");
        }
        assert!(check_multiline_text("body", "para\n\u{b}").is_err());
    }
}
