//! Request names and identities: the validated names (`Team`, `ItemId`, `ResourceName`,
//! `RequestId`, `ResourceKey`) that become ref names and paths under `requests/`, the status and
//! operation words read back from Git, and the commit trailers that carry a request's identity
//! (requester id and e-mail) in Git.
//!
//! Input: up to three lines; the whole input and each line are tried as every kind of name, the
//! lines as a resource key's team, item and resource, and as a requester's id, e-mail and the
//! commit message the trailers are appended to.
//!
//! Checks: an accepted name is the input unchanged (text, `Display`, `FromStr`, serde), ASCII,
//! without `/`, `..` or a leading `-`/`.`, and makes valid Git ref names; a key's path reads
//! back as the same key and stays three levels below `requests/`; `from_path` accepts only
//! what `path` writes; the status and operation words parse only as themselves; trailers read
//! back exactly the identity written (flattened to one line), and nothing else.
#![no_main]

use std::str::FromStr;

use libfuzzer_sys::fuzz_target;
use pao_git::{
    ItemId, NameError, Operation, REQUEST_BRANCH_PREFIX, RequestId, RequestStatus, ResourceKey, ResourceName, Team,
};

/// The checks every kind of name shares.
fn check_name<T>(text: &str, parse: fn(&str) -> Result<T, NameError>, as_str: fn(&T) -> &str)
where
    T: std::fmt::Display
        + FromStr<Err = NameError>
        + serde::Serialize
        + serde::de::DeserializeOwned
        + PartialEq
        + std::fmt::Debug,
{
    let parsed = parse(text);
    assert_eq!(
        T::from_str(text).ok(),
        parsed.as_ref().ok().and_then(|_| parse(text).ok()),
        "FromStr disagrees with parse"
    );
    let json = serde_json::to_string(text).expect("a string serialises");
    match parsed {
        Ok(name) => {
            assert_eq!(as_str(&name), text, "an accepted name changed");
            assert_eq!(name.to_string(), text, "Display changed an accepted name");
            assert_eq!(serde_json::to_string(&name).ok(), Some(json.clone()), "serde writes another text");
            assert_eq!(serde_json::from_str::<T>(&json).ok(), Some(name), "serde reads it back differently");
            assert!(text.is_ascii() && !text.is_empty() && text.len() <= 64, "accepted `{text:?}`");
            assert!(
                !text.contains('/') && !text.contains("..") && !text.starts_with(['-', '.']),
                "accepted `{text:?}`"
            );
            assert!(!text.ends_with(".lock") && !text.contains("@{"), "accepted `{text:?}`");
            assert!(
                git2::Reference::is_valid_name(&format!("refs/pao/x/{text}")),
                "`{text}` makes an invalid ref name"
            );
        }
        Err(error) => {
            assert!(serde_json::from_str::<T>(&json).is_err(), "serde accepts what parse rejects: {text:?}");
            let message = error.to_string();
            assert!(!message.chars().any(char::is_control), "the error message holds a control character: {message:?}");
        }
    }
}

fn check_all_names(text: &str) {
    check_name::<Team>(text, Team::parse, Team::as_str);
    check_name::<ItemId>(text, ItemId::parse, ItemId::as_str);
    check_name::<ResourceName>(text, ResourceName::parse, ResourceName::as_str);
    check_name::<RequestId>(text, RequestId::parse, RequestId::as_str);
    if let Ok(id) = RequestId::parse(text) {
        let branch = format!("refs/heads/{REQUEST_BRANCH_PREFIX}{id}");
        assert!(git2::Reference::is_valid_name(&branch), "`{branch}` is no valid ref name");
    }
    if let Some(status) = RequestStatus::parse(text) {
        assert_eq!(status.as_str(), text);
    }
    if let Some(operation) = Operation::parse(text) {
        assert_eq!(operation.as_str(), text);
    }
}

/// What `with_trailers` promises to store of a value: one line, trimmed.
fn flattened(value: &str) -> String {
    value.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>().trim().to_owned()
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    check_all_names(&text);
    let lines: Vec<&str> = text.splitn(3, '\n').collect();
    for line in &lines {
        check_all_names(line);
    }

    // Paths under requests/.
    if let Some(key) = ResourceKey::from_path(&text) {
        assert_eq!(key.path(), text, "from_path accepted a path that `path` does not write");
    }
    let [team, item, resource] = [0, 1, 2].map(|i| lines.get(i).copied().unwrap_or_default());
    if let Ok(key) = ResourceKey::parse(team, item, resource) {
        let path = key.path();
        assert_eq!(ResourceKey::from_path(&path), Some(key.clone()), "`{path}` does not read back");
        let parts: Vec<&str> = path.split('/').collect();
        assert_eq!(parts.len(), 4, "`{path}` is not three levels below requests/");
        assert!(parts.iter().all(|p| !p.is_empty() && *p != "." && *p != ".."), "`{path}` escapes");
        let json = serde_json::to_string(&key).expect("a key serialises");
        assert_eq!(serde_json::from_str::<ResourceKey>(&json).ok(), Some(key), "a key changes through JSON");
    }

    // The identity in commit trailers: requester id and e-mail after any commit message.
    let (id, email, message) = (team, item, resource);
    let written = [("Pao-Requester".to_owned(), id.to_owned()), ("Pao-Requester-Email".to_owned(), email.to_owned())];
    let commit = pao_git::with_trailers(message, &written);
    let read = pao_git::parse_trailers(&commit);
    for (key, value) in &written {
        assert_eq!(read.get(key), Some(&flattened(value)), "trailer {key} reads back differently from {commit:?}");
    }
    assert_eq!(read.len(), written.len(), "trailers {read:?} hold more than was written in {commit:?}");
});
