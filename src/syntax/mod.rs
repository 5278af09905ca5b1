//! EQL text to a spanned syntax tree: [`parse`].
//!
//! This stage only checks the grammar (and what Elasticsearch rejects while parsing, such as
//! single-quoted strings or a `maxspan` without a unit); meaning is checked by `compile`.

pub mod ast;
pub mod lexer;
mod parser;
pub mod print;

pub use parser::NEST_LIMIT;

use crate::error::Error;

/// Parses a whole query. Never panics; nesting deeper than [`NEST_LIMIT`] is an error of kind
/// `limit`. Errors carry spans but not the query text (`compile` attaches it).
pub fn parse(text: &str) -> Result<ast::Query, Error> {
    let tokens = lexer::tokenize(text)?;
    parser::Parser::new(tokens).query()
}

/// Parses a single expression (used by tests and tools).
pub fn parse_expression(text: &str) -> Result<ast::Expr, Error> {
    let tokens = lexer::tokenize(text)?;
    let mut parser = parser::Parser::new(tokens);
    let expr = parser.expression()?;
    parser.finish_expression()?;
    Ok(expr)
}
