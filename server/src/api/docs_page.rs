//! `GET /api/docs`: the OpenAPI document rendered for people, on the server,
//! from the same document `/api/openapi.json` serves. One self-contained
//! HTML page (the site's stylesheet inlined, no script, nothing fetched from
//! elsewhere), because BrightRun is self-hosted and may be offline: the
//! operations grouped by tag with their parameters, bodies and answers, then
//! every schema they name.

use super::openapi::document_json;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::fmt::Write;

const SITE_CSS: &str = include_str!("../../../style/main.css");
const PAGE_CSS: &str = "
.op { border: 1px solid var(--color-border); border-radius: var(--radius-md, 8px); margin-bottom: var(--space-3); }
.op > summary { cursor: pointer; padding: var(--space-3); display: flex; gap: var(--space-3); align-items: center; }
.op > div { padding: 0 var(--space-4) var(--space-4); }
.op h4 { margin: var(--space-4) 0 var(--space-2); font-size: var(--text-sm); }
.method { min-width: 56px; text-align: center; text-transform: uppercase; }
.schema-props { margin: 0; padding-left: var(--space-5); }
.toc { display: flex; flex-wrap: wrap; gap: var(--space-2); }
";

/// A readable rendering of the OpenAPI document.
#[utoipa::path(get, path = "/api/docs", tag = "meta", security(()),
    responses((status = 200, description = "The API reference as an HTML page", content_type = "text/html", body = String)))]
pub async fn page() -> Response {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        render(&document_json()),
    )
        .into_response()
}

/// The whole page for `doc`.
pub fn render(doc: &Value) -> String {
    let title = esc(doc["info"]["title"].as_str().unwrap_or("API"));
    let mut html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · BrightRun</title><style>{SITE_CSS}{PAGE_CSS}</style></head>\
         <body><main class=\"content\"><header class=\"page-header\"><div><h1>{title}</h1>\
         <p class=\"muted\">{}</p></div><div class=\"header-actions\">\
         <a class=\"btn btn-secondary btn-sm\" href=\"/api/openapi.json\">OpenAPI JSON</a>\
         <a class=\"btn btn-ghost btn-sm\" href=\"/settings\">API tokens</a></div></header>",
        inline_code(doc["info"]["description"].as_str().unwrap_or_default()),
    );
    let tags = doc["tags"].as_array().cloned().unwrap_or_default();
    html.push_str("<nav class=\"toc card\">");
    for tag in &tags {
        let name = esc(tag["name"].as_str().unwrap_or_default());
        let _ = write!(
            html,
            "<a class=\"badge badge-neutral\" href=\"#tag-{name}\">{name}</a>"
        );
    }
    html.push_str("<a class=\"badge badge-neutral\" href=\"#schemas\">schemas</a></nav>");
    for tag in &tags {
        render_tag(&mut html, doc, tag);
    }
    render_schemas(&mut html, doc);
    html.push_str("</main></body></html>");
    html
}

fn render_tag(html: &mut String, doc: &Value, tag: &Value) {
    let name = tag["name"].as_str().unwrap_or_default();
    let _ = write!(
        html,
        "<section class=\"card\" id=\"tag-{0}\"><h2 class=\"card-title\">{0}</h2><p class=\"muted\">{1}</p>",
        esc(name),
        inline_code(tag["description"].as_str().unwrap_or_default()),
    );
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for method in ["get", "post", "put", "patch", "delete"] {
            let op = &item[method];
            let tagged = op["tags"]
                .as_array()
                .is_some_and(|t| t.iter().any(|t| t == name));
            if tagged {
                render_operation(html, method, path, op);
            }
        }
    }
    html.push_str("</section>");
}

fn method_badge(method: &str) -> &'static str {
    match method {
        "get" => "badge-info",
        "post" => "badge-success",
        "delete" => "badge-danger",
        _ => "badge-warning",
    }
}

fn render_operation(html: &mut String, method: &str, path: &str, op: &Value) {
    let public = op["security"].as_array().is_some_and(|s| {
        s.iter()
            .all(|r| r.as_object().is_some_and(|o| o.is_empty()))
    });
    let _ = write!(
        html,
        "<details class=\"op\"><summary><span class=\"badge method {}\">{method}</span>\
         <code>{}</code><span>{}</span>{}</summary><div>",
        method_badge(method),
        esc(path),
        esc(op["summary"].as_str().unwrap_or_default()),
        if public {
            "<span class=\"badge badge-neutral\">no auth</span>"
        } else {
            ""
        },
    );
    if let Some(description) = op["description"].as_str() {
        let _ = write!(html, "<p>{}</p>", inline_code(description));
    }
    render_parameters(html, op);
    if let Some(content) = op["requestBody"]["content"].as_object() {
        html.push_str("<h4>Request body</h4>");
        for (mime, media) in content {
            let _ = write!(
                html,
                "<p><code>{}</code> {}</p>",
                esc(mime),
                schema_html(&media["schema"], 0)
            );
        }
    }
    html.push_str("<h4>Responses</h4><div class=\"table-wrap\"><table class=\"table\"><thead><tr><th>Status</th><th>Description</th><th>Body</th></tr></thead><tbody>");
    for (status, response) in op["responses"].as_object().into_iter().flatten() {
        render_response(html, status, response);
    }
    html.push_str("</tbody></table></div></div></details>");
}

fn render_parameters(html: &mut String, op: &Value) {
    let Some(params) = op["parameters"].as_array().filter(|p| !p.is_empty()) else {
        return;
    };
    html.push_str("<h4>Parameters</h4><div class=\"table-wrap\"><table class=\"table\"><thead><tr><th>Name</th><th>In</th><th>Type</th><th>Description</th></tr></thead><tbody>");
    for p in params {
        let required = if p["required"] == true {
            " <span class=\"badge badge-warning\">required</span>"
        } else {
            ""
        };
        let _ = write!(
            html,
            "<tr><td><code>{}</code>{required}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(p["name"].as_str().unwrap_or_default()),
            esc(p["in"].as_str().unwrap_or_default()),
            schema_html(&p["schema"], 0),
            inline_code(p["description"].as_str().unwrap_or_default()),
        );
    }
    html.push_str("</tbody></table></div>");
}

fn render_response(html: &mut String, status: &str, response: &Value) {
    // Shared error answers are references to `components/responses`.
    let (description, content) = match response["$ref"].as_str() {
        Some(r) => (
            r.rsplit('/').next().unwrap_or_default().to_string(),
            Value::Null,
        ),
        None => (
            response["description"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            response["content"].clone(),
        ),
    };
    let mut body = String::new();
    for (mime, media) in content.as_object().into_iter().flatten() {
        let _ = write!(
            body,
            "<div><code>{}</code> {}</div>",
            esc(mime),
            schema_html(&media["schema"], 0)
        );
    }
    if response.get("$ref").is_some() {
        body = "<a href=\"#schema-ErrorBody\">ErrorBody</a>".into();
    }
    let _ = write!(
        html,
        "<tr><td><span class=\"badge {}\">{}</span></td><td>{}</td><td>{body}</td></tr>",
        if status.starts_with('2') {
            "badge-success"
        } else {
            "badge-danger"
        },
        esc(status),
        inline_code(&description),
    );
}

fn render_schemas(html: &mut String, doc: &Value) {
    html.push_str("<section class=\"card\" id=\"schemas\"><h2 class=\"card-title\">Schemas</h2>");
    for (name, schema) in doc["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
    {
        let _ = write!(
            html,
            "<div id=\"schema-{0}\"><h3>{0}</h3>{1}{2}</div>",
            esc(name),
            schema["description"]
                .as_str()
                .map(|d| format!("<p class=\"muted\">{}</p>", inline_code(d)))
                .unwrap_or_default(),
            schema_html(schema, 1),
        );
    }
    html.push_str("</section>");
}

/// A schema as HTML: a link for a reference, the type for a scalar, the
/// properties (to a few levels) for an object.
fn schema_html(schema: &Value, depth: usize) -> String {
    if let Some(r) = schema["$ref"].as_str() {
        let name = esc(r.rsplit('/').next().unwrap_or_default());
        return format!("<a href=\"#schema-{name}\">{name}</a>");
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(options) = schema[key].as_array() {
            let sep = if key == "allOf" { " and " } else { " or " };
            return options
                .iter()
                .map(|s| schema_html(s, depth))
                .collect::<Vec<_>>()
                .join(sep);
        }
    }
    if let Some(values) = schema["enum"].as_array() {
        let values: Vec<String> = values
            .iter()
            .map(|v| format!("<code>{}</code>", esc(&v.to_string())))
            .collect();
        return format!("one of {}", values.join(", "));
    }
    let ty = type_name(schema);
    if ty.starts_with("array") {
        return format!("array of {}", schema_html(&schema["items"], depth));
    }
    match schema["properties"].as_object() {
        Some(props) if depth < 4 => object_html(schema, props, depth),
        _ => format!("<code>{}</code>", esc(&ty)),
    }
}

fn object_html(schema: &Value, props: &serde_json::Map<String, Value>, depth: usize) -> String {
    let required: Vec<&str> = schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let mut out = String::from("object<ul class=\"schema-props\">");
    for (name, prop) in props {
        let optional = if required.contains(&name.as_str()) {
            ""
        } else {
            "?"
        };
        let description = prop["description"]
            .as_str()
            .map(|d| format!(" <span class=\"muted\">{}</span>", inline_code(d)))
            .unwrap_or_default();
        let _ = write!(
            out,
            "<li><code>{}{optional}</code>: {}{description}</li>",
            esc(name),
            schema_html(prop, depth + 1)
        );
    }
    out.push_str("</ul>");
    out
}

/// `string`, `integer (int64)`, `string | null`, … from `type` and `format`.
fn type_name(schema: &Value) -> String {
    let ty = match &schema["type"] {
        Value::String(t) => t.clone(),
        Value::Array(ts) => ts
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" | "),
        _ => "any".into(),
    };
    match schema["format"].as_str() {
        Some(f) => format!("{ty} ({f})"),
        None => ty,
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Escaped text with Markdown's `code` spans as `<code>`.
fn inline_code(s: &str) -> String {
    esc(s)
        .split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                format!("<code>{part}</code>")
            } else {
                part.to_string()
            }
        })
        .collect()
}
