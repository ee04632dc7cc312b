//! docs/openapi.json against the server: every API route is described,
//! every described operation exists, and what the server answers fits the
//! described schemas (a small validator for the JSON Schema subset the
//! document uses: $ref, type (with null), properties, required,
//! additionalProperties: false, items, enum, oneOf).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;

use axum::http::StatusCode;
use common::{Backend, RO_TOKEN, RW_TOKEN, bearer, json, send};
use serde_json::Value;

fn doc() -> Value {
    let path = format!("{}/../../docs/openapi.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Problems of `v` against `schema`, with JSON paths.
fn check(doc: &Value, schema: &Value, v: &Value, at: &str, out: &mut Vec<String>) {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.trim_start_matches("#/components/schemas/");
        return check(doc, &doc["components"]["schemas"][name], v, at, out);
    }
    if let Some(alts) = schema.get("oneOf").and_then(Value::as_array) {
        let fits = alts
            .iter()
            .filter(|s| {
                let mut e = Vec::new();
                check(doc, s, v, at, &mut e);
                e.is_empty()
            })
            .count();
        if fits != 1 {
            out.push(format!("{at}: fits {fits} of oneOf"));
        }
        return;
    }
    if let Some(t) = schema.get("type") {
        let types: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let ok = types.iter().any(|t| match *t {
            "string" => v.is_string(),
            "integer" => v.is_i64() || v.is_u64(),
            "number" => v.is_number(),
            "boolean" => v.is_boolean(),
            "array" => v.is_array(),
            "object" => v.is_object(),
            "null" => v.is_null(),
            _ => false,
        });
        if !ok {
            out.push(format!("{at}: {v} is not {types:?}"));
            return;
        }
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array)
        && !e.contains(v)
    {
        out.push(format!("{at}: {v} not in {e:?}"));
    }
    if let (Some(items), Some(a)) = (schema.get("items"), v.as_array()) {
        for (i, x) in a.iter().enumerate() {
            check(doc, items, x, &format!("{at}[{i}]"), out);
        }
    }
    if let Some(o) = v.as_object() {
        let props = schema.get("properties").and_then(Value::as_object);
        for req in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if !o.contains_key(req.as_str().unwrap()) {
                out.push(format!("{at}: lacks {req}"));
            }
        }
        for (k, x) in o {
            match props.and_then(|p| p.get(k)) {
                Some(s) => check(doc, s, x, &format!("{at}.{k}"), out),
                None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    out.push(format!("{at}: undocumented field {k}"));
                }
                None => {}
            }
        }
    }
}

#[test]
fn the_validator_catches_drift() {
    let d = doc();
    let ban = serde_json::json!({"id": 1, "site": "s", "ip": "192.0.2.1", "reason": "", "origin": "robot",
        "actor": "a", "created_at": 1, "expires_at": null, "lifted_at": null, "extra": 1});
    let mut e = Vec::new();
    check(
        &d,
        &serde_json::json!({"$ref": "#/components/schemas/Ban"}),
        &ban,
        "$",
        &mut e,
    );
    assert_eq!(e.len(), 3, "{e:?}"); // origin, lifted_by missing, extra
}

#[test]
fn every_route_is_documented_and_every_operation_exists() {
    let d = doc();
    let documented: BTreeSet<(String, String)> = d["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(p, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .map(move |m| (m.clone(), p.clone()))
        })
        .collect();
    let served: BTreeSet<(String, String)> = ghostguard_web::api::routes()
        .into_iter()
        .map(|(m, p, _)| (m.to_owned(), p.to_owned()))
        .collect();
    assert_eq!(documented, served);
}

/// The schema of `method path` for `status` in the document.
fn response_schema(d: &Value, method: &str, path: &str, status: u16) -> Value {
    d["paths"][path][method]["responses"][status.to_string()]["content"]["application/json"]["schema"].clone()
}

async fn answers_fit(backend: Backend) {
    let Some(a) = common::app(backend, "openapi").await else {
        return;
    };
    let d = doc();
    let incident = a
        .store
        .incidents(&ghostguard_store::IncidentQuery::default())
        .await
        .unwrap()[0]
        .id;
    let mut calls: Vec<(&str, String, String, Option<Value>, u16)> = Vec::new();
    for (method, path, _) in ghostguard_web::api::routes() {
        let concrete = path
            .replace("{id}", &incident.to_string())
            .replace("{ip}", "203.0.113.99");
        match method {
            "get" => calls.push(("get", path.to_owned(), concrete, None, 200)),
            "post" => calls.push((
                "post",
                path.to_owned(),
                concrete,
                Some(serde_json::json!({"ip": "203.0.113.99", "site": "office", "duration": "1h", "reason": "r"})),
                201,
            )),
            _ => calls.push(("delete", path.to_owned(), format!("{concrete}?site=office"), None, 200)),
        }
    }
    calls.push((
        "get",
        "/api/v1/incidents/{id}".into(),
        "/api/v1/incidents/0".into(),
        None,
        404,
    ));
    calls.push((
        "get",
        "/api/v1/incidents".into(),
        "/api/v1/incidents?source=x".into(),
        None,
        400,
    ));
    for (method, path, uri, body, want) in calls {
        let token = if method == "get" { RO_TOKEN } else { RW_TOKEN };
        let r = send(&a.router, bearer(&method.to_uppercase(), &uri, token, body)).await;
        assert_eq!(
            r.status(),
            StatusCode::from_u16(want).unwrap(),
            "{method} {uri}"
        );
        let v = json(r).await;
        let schema = response_schema(&d, method, &path, want);
        assert!(!schema.is_null(), "{method} {path} {want} undocumented");
        let mut errors = Vec::new();
        check(&d, &schema, &v, "$", &mut errors);
        assert!(errors.is_empty(), "{method} {uri}: {errors:#?}");
    }
    let r = send(&a.router, bearer("GET", "/api/v1/overview", "nope", None)).await;
    let schema = response_schema(&d, "get", "/api/v1/overview", 401);
    let mut errors = Vec::new();
    check(&d, &schema, &json(r).await, "$", &mut errors);
    assert!(errors.is_empty(), "{errors:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_fit_the_document_on_sqlite() {
    answers_fit(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_fit_the_document_on_postgres() {
    answers_fit(Backend::Postgres).await;
}
