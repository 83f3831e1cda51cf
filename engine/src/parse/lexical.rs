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
