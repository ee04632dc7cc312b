//! Making network-derived text safe to print on a terminal.
//!
//! A caller ID or User-Agent is chosen by the attacker. Printed raw, an
//! escape sequence in it could recolour, move the cursor, retitle the
//! window or hide lines of the report; bidirectional overrides could make
//! an address read backwards. The engine already replaces control
//! characters, but the report does not rely on that.

/// Replaces control characters (C0, DEL, C1, so every escape sequence
/// loses its ESC/CSI), bidirectional controls and other invisible format
/// characters with U+FFFD. Tabs and newlines become spaces.
#[must_use]
pub fn sanitize_terminal(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => ' ',
            c if is_unsafe(c) => '\u{FFFD}',
            c => c,
        })
        .collect()
}

/// The same for text that keeps its line breaks (a whole HTML page).
#[must_use]
pub(crate) fn strip_controls(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c != '\n' && is_unsafe(c) {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{061C}'                  // Arabic letter mark
            | '\u{200B}'..='\u{200F}'   // zero-width space/joiners, LRM, RLM
            | '\u{2028}'..='\u{202E}'   // separators, embeddings, overrides
            | '\u{2060}'..='\u{206F}'   // word joiner, isolates, deprecated formats
            | '\u{FEFF}'                // BOM / zero-width no-break space
            | '\u{FFF9}'..='\u{FFFB}') // interlinear annotations
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_controls_are_defused() {
        let s = sanitize_terminal("\x1b[31mred\x1b]0;title\x07\u{9b}2J ok\u{202E}abc\u{2066}");
        assert!(
            !s.contains('\x1b') && !s.contains('\x07') && !s.contains('\u{9b}'),
            "{s:?}"
        );
        assert!(!s.contains('\u{202E}') && !s.contains('\u{2066}'));
        assert!(s.contains("red") && s.contains(" ok"));
        assert_eq!(sanitize_terminal("a\tb\nc"), "a b c");
        assert_eq!(
            sanitize_terminal("Grandstream GXP2130 1.0.11.3 – ü"),
            "Grandstream GXP2130 1.0.11.3 – ü"
        );
    }
}
