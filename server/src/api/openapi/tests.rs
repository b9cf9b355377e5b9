use super::document_json;
use serde_json::Value;
use std::collections::BTreeSet;

/// `(METHOD, path)` of every route a router's source registers: each
/// `.route("path", get(…).post(…))` call of `src`, under `prefix`. Read from
/// the source so that a route added without documentation fails the test.
fn routes_in(src: &str, prefix: &str) -> BTreeSet<(String, String)> {
    let mut routes = BTreeSet::new();
    for call in src.split(".route(").skip(1) {
        let path = call.split('"').nth(1).expect("a route's path literal");
        let mut depth = 1;
        let end = call
            .char_indices()
            .find(|&(_, c)| {
                depth += match c {
                    '(' => 1,
                    ')' => -1,
                    _ => 0,
                };
                depth == 0
            })
            .map_or(call.len(), |(i, _)| i);
        let handlers = &call[..end];
        for method in ["get", "post", "put", "patch", "delete"] {
            let called = handlers.match_indices(&format!("{method}(")).any(|(i, _)| {
                i == 0
                    || !handlers.as_bytes()[i - 1].is_ascii_alphanumeric()
                        && handlers.as_bytes()[i - 1] != b'_'
            });
            if called {
                routes.insert((method.to_uppercase(), format!("{prefix}{path}")));
            }
        }
    }
    routes
}

fn registered() -> BTreeSet<(String, String)> {
    let mut all = routes_in(include_str!("../mod.rs"), "/api");
    all.extend(routes_in(include_str!("../../openai/mod.rs"), "/v1"));
    all
}

fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("a path item").keys() {
            ops.insert((method.to_uppercase(), path.clone()));
        }
    }
    ops
}

/// `BRIGHTRUN_OPENAPI_OUT=path` writes the document there (for a look).
#[test]
fn every_route_of_the_router_is_documented_and_nothing_else() {
    let routes = registered();
    assert!(
        routes.len() > 50,
        "the router source was not read: {routes:?}"
    );
    assert!(routes.contains(&("DELETE".into(), "/api/datasets/{id}".into())));
    assert!(routes.contains(&("POST".into(), "/v1/chat/completions".into())));
    let doc = document_json();
    if let Ok(out) = std::env::var("BRIGHTRUN_OPENAPI_OUT") {
        std::fs::write(out, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    }
    let documented = documented(&doc);
    let missing: Vec<_> = routes.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "routes without documentation: {missing:?}"
    );
    let extra: Vec<_> = documented.difference(&routes).collect();
    assert!(extra.is_empty(), "documented but not routed: {extra:?}");
}

fn operations(doc: &Value) -> impl Iterator<Item = (String, &Value)> {
    doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .iter()
                .map(move |(method, op)| (format!("{method} {path}"), op))
        })
}

#[test]
fn every_operation_has_a_tag_a_summary_a_success_and_its_errors() {
    let doc = document_json();
    assert_eq!(doc["openapi"], "3.1.0");
    for (name, op) in operations(&doc) {
        assert!(op["tags"][0].is_string(), "{name}: no tag");
        assert!(op["summary"].is_string(), "{name}: no summary");
        let responses = op["responses"].as_object().unwrap();
        assert!(
            responses.keys().any(|s| s.starts_with('2')),
            "{name}: no success answer"
        );
        let public = op["security"]
            .as_array()
            .is_some_and(|s| s.iter().all(|r| r == &serde_json::json!({})));
        if name.contains(" /api/") {
            assert!(responses.contains_key("500"), "{name}: no 500");
            if !public {
                assert!(
                    responses.contains_key("401"),
                    "{name}: needs a credential but no 401"
                );
            }
            if op["requestBody"].is_object() {
                assert!(responses.contains_key("400"), "{name}: a body but no 400");
            }
        }
    }
}

#[test]
fn success_answers_are_in_the_envelope_and_errors_are_the_error_body() {
    let doc = document_json();
    let (_, me) = operations(&doc).find(|(n, _)| n == "get /api/me").unwrap();
    let ok = &me["responses"]["200"]["content"]["application/json"]["schema"]["$ref"];
    let ok = doc
        .pointer(ok.as_str().unwrap().trim_start_matches('#'))
        .unwrap();
    assert_eq!(
        ok["required"],
        serde_json::json!(["success", "data"]),
        "{ok}"
    );
    let data = &ok["properties"]["data"];
    assert!(
        data["required"]
            .as_array()
            .unwrap()
            .contains(&"email".into()),
        "{data}"
    );
    assert_eq!(
        me["responses"]["401"]["$ref"],
        "#/components/responses/Unauthenticated"
    );
    let error =
        &doc["components"]["responses"]["Unauthenticated"]["content"]["application/json"]["schema"];
    assert_eq!(error["$ref"], "#/components/schemas/ErrorBody");
    let body = &doc["components"]["schemas"]["ErrorBody"];
    assert_eq!(
        body["required"],
        serde_json::json!(["error", "details", "request_id"])
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
}

/// Every `$ref` names a schema or response the document defines.
#[test]
fn every_reference_resolves() {
    fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r);
                }
                m.values().for_each(|v| refs(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let doc = document_json();
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(found.len() > 50);
    for r in found {
        let pointer = r.trim_start_matches('#');
        assert!(doc.pointer(pointer).is_some(), "{r} does not resolve");
    }
}

#[test]
fn the_docs_page_lists_every_operation_and_fetches_nothing() {
    let doc = document_json();
    let html = crate::api::docs_page::render(&doc);
    for (_, path) in documented(&doc) {
        assert!(
            html.contains(&format!("<code>{path}</code>")),
            "{path} not on the page"
        );
    }
    assert!(html.contains("id=\"schema-ErrorBody\""));
    assert!(!html.contains("<script"), "the page runs no script");
    assert!(
        !html.contains("https://"),
        "the page loads nothing from elsewhere"
    );
}
