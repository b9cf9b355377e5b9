//! The Jinja environment a chat template renders in, set up as transformers
//! sets up its own (`chat_template_utils._compile_jinja_template`): blocks
//! trimmed and left-stripped, `raise_exception`, `strftime_now`, a `tojson`
//! that writes what Python's `json.dumps` writes, Python's string and dict
//! methods, and transformers' `{% generation %}` blocks.

use crate::error::{Result, TrainerError};
use minijinja::value::{Kwargs, Value};
use minijinja::{Environment, Error, ErrorKind};
use std::fmt::Write;

/// What `strftime_now` reads the time from: the local clock, as Python's
/// `datetime.now()`, except in tests that pin it.
pub type Clock = fn() -> chrono::NaiveDateTime;

pub fn local_now() -> chrono::NaiveDateTime {
    chrono::Local::now().naive_local()
}

/// The environment with the template added as "chat".
pub fn environment(source: String, clock: Clock) -> Result<Environment<'static>> {
    let mut env = Environment::new();
    minijinja_contrib::add_to_environment(&mut env);
    env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.add_function("raise_exception", raise_exception);
    env.add_function("strftime_now", move |format: String| {
        strftime(clock(), &format)
    });
    env.add_filter("tojson", tojson);
    env.add_template_owned("chat", generation_blocks(&source))
        .map_err(|e| {
            TrainerError::UnsupportedModel(format!("the chat template does not parse: {e}"))
        })?;
    Ok(env)
}

/// transformers' `{% generation %}` … `{% endgeneration %}` marks the
/// assistant's tokens and renders its body as it is: here an `if true`
/// block, with the tags' whitespace control kept.
fn generation_blocks(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    while let Some(start) = rest.find("{%") {
        out.push_str(&rest[..start]);
        let tag = &rest[start..];
        let Some(end) = tag.find("%}") else {
            break;
        };
        out.push_str(&generation_tag(&tag[..end + 2]).unwrap_or_else(|| tag[..end + 2].into()));
        rest = &tag[end + 2..];
    }
    out.push_str(rest);
    out
}

/// `{%- generation %}` as `{%- if true %}`, `{% endgeneration -%}` as
/// `{% endif -%}`; None for any other tag.
fn generation_tag(tag: &str) -> Option<String> {
    let inner = &tag[2..tag.len() - 2];
    let sign = |c: Option<char>| c.filter(|c| *c == '-' || *c == '+');
    let lead = sign(inner.chars().next()).map_or("".into(), String::from);
    let trail = sign(inner.chars().last()).map_or("".into(), String::from);
    let word = inner[lead.len()..inner.len() - trail.len()].trim();
    let replacement = match word {
        "generation" => "if true",
        "endgeneration" => "endif",
        _ => return None,
    };
    Some(format!("{{%{lead} {replacement} {trail}%}}"))
}

fn raise_exception(msg: String) -> std::result::Result<String, Error> {
    Err(Error::new(ErrorKind::InvalidOperation, msg))
}

fn strftime(now: chrono::NaiveDateTime, format: &str) -> std::result::Result<String, Error> {
    let mut out = String::new();
    write!(out, "{}", now.format(format)).map_err(|_| {
        Error::new(
            ErrorKind::InvalidOperation,
            format!("strftime_now: a format chrono cannot write: {format:?}"),
        )
    })?;
    Ok(out)
}

/// `json.dumps(value, ensure_ascii=False, indent=indent)`: ", " and ": "
/// between items on one line, "," and ": " with an indent; no HTML escapes.
fn tojson(
    value: &Value,
    indent: Option<usize>,
    kwargs: Kwargs,
) -> std::result::Result<String, Error> {
    let indent = indent.or(kwargs.get::<Option<usize>>("indent")?);
    kwargs.assert_all_used()?;
    let mut out = Vec::new();
    let written = match indent {
        Some(n) => {
            let spaces = " ".repeat(n);
            let pretty = serde_json::ser::PrettyFormatter::with_indent(spaces.as_bytes());
            serde::Serialize::serialize(
                value,
                &mut serde_json::Serializer::with_formatter(&mut out, pretty),
            )
        }
        None => serde::Serialize::serialize(
            value,
            &mut serde_json::Serializer::with_formatter(&mut out, PythonJson),
        ),
    };
    written.map_err(|e| {
        Error::new(ErrorKind::InvalidOperation, "cannot serialize to JSON").with_source(e)
    })?;
    String::from_utf8(out).map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))
}

/// serde_json's compact output with Python's default separators.
struct PythonJson;

impl serde_json::ser::Formatter for PythonJson {
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(source: &str, ctx: Value) -> String {
        let clock: Clock = || {
            chrono::NaiveDate::from_ymd_opt(2026, 1, 15)
                .unwrap()
                .and_hms_opt(9, 30, 0)
                .unwrap()
        };
        let env = environment(source.into(), clock).unwrap();
        env.get_template("chat").unwrap().render(ctx).unwrap()
    }

    /// The outputs are Python's (jinja2 3.1 as transformers sets it up; a
    /// map keeps its keys' order, as a dict does).
    #[test]
    fn globals_and_filters_write_what_transformers_writes() {
        let ctx =
            minijinja::context! { t => minijinja::context! { name => "f", args => vec![1, 2] } };
        assert_eq!(
            render("{{ t | tojson }}", ctx.clone()),
            r#"{"name": "f", "args": [1, 2]}"#
        );
        assert_eq!(
            render("{{ t | tojson(indent=2) }}", ctx),
            "{\n  \"name\": \"f\",\n  \"args\": [\n    1,\n    2\n  ]\n}"
        );
        assert_eq!(render("{{ '<é>' | tojson }}", Value::UNDEFINED), "\"<é>\"");
        assert_eq!(
            render("{{ strftime_now('%d %b %Y') }}", Value::UNDEFINED),
            "15 Jan 2026"
        );
        // trim_blocks and lstrip_blocks, as transformers compiles templates.
        assert_eq!(
            render("a\n  {% if true %}\nb\n  {% endif %}\nc", Value::UNDEFINED),
            "a\nb\nc"
        );
        let err = environment("{{ raise_exception('no system') }}".into(), local_now)
            .unwrap()
            .get_template("chat")
            .unwrap()
            .render(Value::UNDEFINED)
            .unwrap_err();
        assert!(err.to_string().contains("no system"), "{err}");
    }

    /// transformers' own output for the same template.
    #[test]
    fn generation_blocks_render_their_body() {
        let source = "a {%- generation -%} b {%- endgeneration %} c|{% for m in messages %}{% if m.role == 'assistant' %}{% generation %}{{ m.content }}{% endgeneration %}{% else %}{{ m.content }}{% endif %}\n{% endfor %}";
        let messages = vec![
            minijinja::context! { role => "user", content => "hi" },
            minijinja::context! { role => "assistant", content => "yo" },
        ];
        let ctx = minijinja::context! { messages => messages };
        assert_eq!(render(source, ctx), "ab c|hiyo");
        assert_eq!(generation_blocks("{{ '{%' }} %}"), "{{ '{%' }} %}");
    }
}
