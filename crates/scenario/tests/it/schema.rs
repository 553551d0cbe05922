//! The JSON Schema: the committed copy is what the types generate, and the reference
//! documents every key it has.

use serde_json::Value;

fn workspace_file(path: &str) -> String {
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

#[test]
fn the_committed_schema_is_the_generated_one() {
    let generated = serde_json::to_string_pretty(&chokepoint_scenario::json_schema()).expect("json") + "\n";
    let committed = workspace_file("docs/scenario.schema.json");
    assert!(
        committed == generated,
        "docs/scenario.schema.json is out of date: regenerate it with\n  \
         cargo run -p chokepoint-cli -- schema > docs/scenario.schema.json"
    );
}

/// Every key path of the schema: `scenario.name`, `facilities.<id>.stock.output`,
/// `supply.sources.from` (arrays are transparent), `event.<type>.licence.approval`.
fn key_paths(schema: &Value) -> Vec<String> {
    let definitions = &schema["definitions"];
    let resolve = |node: &Value| -> Value {
        let mut node = node.clone();
        // `allOf: [{ $ref }]` (how schemars attaches a description to a reference) and plain
        // references both resolve to the definition.
        if let Some(Value::Array(all)) = node.get("allOf")
            && all.len() == 1
        {
            node = all[0].clone();
        }
        match node.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let name = reference.rsplit('/').next().unwrap_or("");
                definitions[name].clone()
            }
            None => node,
        }
    };
    fn walk(node: &Value, prefix: &str, out: &mut Vec<String>, resolve: &dyn Fn(&Value) -> Value) {
        let node = resolve(node);
        if let Some(items) = node.get("items") {
            walk(items, prefix, out, resolve);
            return;
        }
        if let Some(Value::Object(properties)) = node.get("properties") {
            for (key, value) in properties {
                let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
                out.push(path.clone());
                walk(value, &path, out, resolve);
            }
        }
        if let Some(additional) = node.get("additionalProperties").filter(|a| a.is_object()) {
            let path = format!("{prefix}.<id>");
            out.push(path.clone());
            walk(additional, &path, out, resolve);
        }
        if let Some(Value::Array(variants)) = node.get("oneOf") {
            // Event types: one table per type, prefixed by the type's name.
            for variant in variants {
                if let Some(kind) = variant.pointer("/properties/type/const").and_then(Value::as_str) {
                    let path = format!("{prefix}.{kind}");
                    if let Some(Value::Object(properties)) = variant.get("properties") {
                        for (key, value) in properties {
                            let key_path = format!("{path}.{key}");
                            out.push(key_path.clone());
                            walk(value, &key_path, out, resolve);
                        }
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(schema, "", &mut out, &resolve);
    out.sort();
    out.dedup();
    out
}

#[test]
fn every_key_of_the_schema_is_documented() {
    let schema = chokepoint_scenario::json_schema();
    let paths = key_paths(&schema);
    assert!(paths.len() > 100, "the walk found only {} keys: {paths:?}", paths.len());
    for expected in ["scenario.extends", "facilities.<id>.stock.output", "supply.alternates.qualify"] {
        assert!(paths.iter().any(|p| p == expected), "the walk misses {expected}");
    }
    assert!(paths.iter().any(|p| p == "event.export_control.licence.approval"));
    let doc = workspace_file("docs/scenario-format.md");
    // A key is documented in backticks; a section by its header (`[scenario]`,
    // `[[supply]]`, `[products.<id>]`).
    let documented = |p: &str| {
        doc.contains(&format!("`{p}`"))
            || doc.contains(&format!("`[{p}]`"))
            || doc.contains(&format!("`[[{p}]]`"))
            || doc.contains(&format!("`[{p}.<id>]`"))
    };
    let missing: Vec<&String> = paths.iter().filter(|p| !documented(p)).collect();
    assert!(missing.is_empty(), "docs/scenario-format.md does not document: {missing:#?}");
}
