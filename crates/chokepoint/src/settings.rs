//! Keys set by dotted path, as `--set` writes them: `key=v1,v2,…`.

use crate::Error;

/// Splits `key=v1,v2,…` into the key and its values, at commas outside brackets, braces
/// and quotes (so `{ after = "63d" }` and `[1, 2]` stay whole).
pub fn split(text: &str) -> Result<(String, Vec<String>), Error> {
    let Some((key, values)) = text.split_once('=') else {
        return Err(Error::new(
            format!("--set {text}: expected key=value"),
            "write --set event.mofcom-18-2025.end=2025-06-06,2025-12-31",
        ));
    };
    let key = key.trim();
    if key.is_empty() || values.trim().is_empty() {
        return Err(Error::new(
            format!("--set {text}: the key or the value is empty"),
            "write --set facilities.my_lynas.capacity=5000.0,8000.0",
        ));
    }
    let mut out = Vec::new();
    let (mut depth, mut quote, mut start) = (0i32, None::<char>, 0usize);
    for (i, c) in values.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '[' | '{') => depth += 1,
            (None, ']' | '}') => depth -= 1,
            (None, ',') if depth == 0 => {
                out.push(values[start..i].trim().to_owned());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(values[start..].trim().to_owned());
    if out.iter().any(String::is_empty) {
        return Err(Error::new(
            format!("--set {text}: a value in the list is empty"),
            "separate values with single commas",
        ));
    }
    Ok((key.to_owned(), out))
}

/// `key=value` settings of a workflow that takes one value per key (a run, a ranking, an
/// explanation): `what` names it in the message, `hint` says what to do with several.
pub fn single(sets: &[String], what: &str, hint: &str) -> Result<Vec<(String, String)>, Error> {
    let mut settings = Vec::with_capacity(sets.len());
    for text in sets {
        let (key, mut values) = split(text)?;
        if values.len() > 1 {
            return Err(Error::new(format!("--set {text}: {what} takes one value per key"), hint));
        }
        settings.push((key, values.remove(0)));
    }
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_split_at_commas_outside_brackets_braces_and_quotes() {
        let (key, values) = split("event.x.end={ after = \"63d\" },2025-12-31").expect("valid");
        assert_eq!(key, "event.x.end");
        assert_eq!(values, ["{ after = \"63d\" }", "2025-12-31"]);
        let (_, values) = split("k=[1, 2],'a,b',3").expect("valid");
        assert_eq!(values, ["[1, 2]", "'a,b'", "3"]);
        for bad in ["novalue", "=1", "k=", "k=1,,2"] {
            assert!(split(bad).is_err(), "{bad} is refused");
        }
    }

    #[test]
    fn a_single_valued_workflow_refuses_a_list() {
        let sets = ["a=1".to_owned(), "b=2,3".to_owned()];
        let error = single(&sets, "a run", "sweep them").expect_err("two values");
        assert!(error.to_string().contains("a run takes one value per key"), "{error}");
        assert_eq!(single(&sets[..1], "a run", "").expect("one value"), [("a".to_owned(), "1".to_owned())]);
    }
}
