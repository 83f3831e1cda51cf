//! Token-level helpers for the grammar: string unescaping, integers.

use crate::ast::Span;
use crate::parse::LexicalError;

/// Unescapes a double-quoted string literal with JSON escapes.
pub fn unescape(quoted: &str, span: Span) -> Result<String, LexicalError> {
    serde_json::from_str::<String>(quoted).map_err(|err| {
        LexicalError::new(
            format!("invalid string literal: {err}"),
            "strings use JSON escapes (`\\\"`, `\\\\`, `\\n`, `\\t`, `\\u00e9`) and may not contain raw control characters",
            span,
        )
    })
}

/// Parses the digits of an integer literal, with its sign.
pub fn parse_int(digits: &str, negative: bool, span: Span) -> Result<i64, LexicalError> {
    let text = if negative {
        format!("-{digits}")
    } else {
        digits.to_string()
    };
    text.parse::<i64>().map_err(|_| {
        LexicalError::new(
            format!("integer `{text}` does not fit in 64 bits"),
            "integers range from -9223372036854775808 to 9223372036854775807",
            span,
        )
    })
}

/// The start of every string literal that is not closed on its line
/// (outside comments). The grammar would only notice at the next token,
/// which may be the end of the input; this names the string itself.
pub fn unterminated_strings(text: &str) -> Vec<Span> {
    let mut found = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let mut chars = line.char_indices();
        let mut open: Option<usize> = None;
        while let Some((i, c)) = chars.next() {
            match (open, c) {
                (None, '#') => break,
                (None, '"') => open = Some(i),
                (Some(_), '\\') => {
                    chars.next();
                }
                (Some(_), '"') => open = None,
                _ => {}
            }
        }
        if let Some(start) = open {
            let end = offset + line.trim_end_matches(['\n', '\r']).len();
            found.push(Span::new(offset + start, end));
        }
        offset += line.len();
    }
    found
}
