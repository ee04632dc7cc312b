//! The JSON contract: the engine's [`Analysis`] exactly as serde writes it
//! (its field names are the contract; nothing is dropped), with
//! `causes[].remedies` turned from ids into `{id, text}`, plus the top-level
//! `ghostguard` {version, generated_by, lang, report}, `inputs`, `decode` (counter
//! name -> count) and `steps` (the ordered list of what to do, each
//! `{id, text, causes}`). Keys are sorted; output is pretty-printed.

use std::io::{self, Write};

use ghostguard_engine::Analysis;
use serde_json::{Map, Value, json};

use crate::i18n::tr;
use crate::plan::plan;
use crate::{Lang, ReportMeta};

/// The report as a JSON value.
///
/// # Errors
/// When the model cannot be serialised (it always can).
pub(crate) fn to_value(a: &Analysis, meta: &ReportMeta, lang: Lang) -> serde_json::Result<Value> {
    let steps = plan(a, lang);
    let mut v = serde_json::to_value(a)?;
    let text_of = |id: &str| {
        steps
            .iter()
            .find(|s| s.id == id)
            .map_or_else(|| tr(lang, &format!("remedy-{id}")), |s| s.text.clone())
    };
    let causes = v
        .get_mut("causes")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten();
    for remedies in causes.filter_map(|c| c.get_mut("remedies").and_then(Value::as_array_mut)) {
        for r in remedies.iter_mut() {
            if let Some(id) = r.as_str().map(str::to_string) {
                *r = json!({ "id": id, "text": text_of(&id) });
            }
        }
    }
    let decode: Map<String, Value> = meta
        .decode
        .iter()
        .map(|(k, n)| (k.clone(), Value::from(*n)))
        .collect();
    let top = json!({
        "ghostguard": {
            "version": meta.version,
            "generated_by": meta.generated_by,
            "lang": lang.tag(),
            "report": meta.kind.as_str(),
        },
        "inputs": meta.inputs,
        "decode": decode,
        "steps": steps,
    });
    if let (Some(obj), Value::Object(extra)) = (v.as_object_mut(), top) {
        obj.extend(extra);
    }
    Ok(v)
}

pub(crate) fn render(
    a: &Analysis,
    meta: &ReportMeta,
    lang: Lang,
    out: &mut dyn Write,
) -> io::Result<()> {
    let v = to_value(a, meta, lang).map_err(io::Error::other)?;
    // Into memory first: the serializer's many small writes then cost a
    // copy each, not two dynamic calls into the caller's writer.
    let mut buf = serde_json::to_vec_pretty(&v).map_err(io::Error::other)?;
    buf.push(b'\n');
    out.write_all(&buf)
}
