//! docs/OPERATIONS.md documents every configuration key: every key of the built-in defaults
//! file and every field of the `Settings` struct, with its environment variable.

use std::collections::BTreeSet;

const DEFAULTS: &str = include_str!("../config/default.toml");
const OPERATIONS: &str = include_str!("../../../docs/OPERATIONS.md");

/// `section.key` for every key of the defaults file.
fn default_keys() -> BTreeSet<String> {
    let config = config::Config::builder()
        .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml))
        .build()
        .unwrap();
    let mut keys = BTreeSet::new();
    let table: std::collections::HashMap<String, config::Value> = config.try_deserialize().unwrap();
    for (section, value) in table {
        for key in value.into_table().unwrap().keys() {
            keys.insert(format!("{section}.{key}"));
        }
    }
    // Optional keys without a default are shown commented out: `# key = example`.
    let mut section = String::new();
    for line in DEFAULTS.lines() {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_owned();
        } else if let Some((key, _)) = line.strip_prefix("# ").and_then(|l| l.split_once(" = "))
            && key.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        {
            keys.insert(format!("{section}.{key}"));
        }
    }
    keys
}

/// `section.field` for every leaf field of `Settings`, read from its `Debug` form (field names
/// are the configuration keys: the struct is deserialized without renaming).
fn settings_fields() -> BTreeSet<String> {
    let dir = tempfile::tempdir().unwrap();
    let cwd = std::env::current_dir().unwrap();
    std::env::set_current_dir(dir.path()).unwrap();
    let settings = curricula_server::settings::Settings::load(None);
    std::env::set_current_dir(cwd).unwrap();
    let debug = format!("{:?}", settings.expect("the defaults alone are a valid configuration"));
    let mut fields = BTreeSet::new();
    let mut path: Vec<String> = Vec::new();
    let mut pending: Option<String> = None;
    let mut word = String::new();
    let mut in_string = false;
    let mut escaped = false;
    for c in debug.chars() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            ':' if !word.is_empty() => {
                pending = Some(std::mem::take(&mut word));
            }
            '{' => {
                if let Some(name) = pending.take() {
                    path.push(name);
                }
                word.clear();
            }
            '}' | ',' => {
                if let Some(name) = pending.take()
                    && !path.is_empty()
                {
                    fields.insert(format!("{}.{name}", path.join(".")));
                }
                if c == '}' {
                    path.pop();
                }
                word.clear();
            }
            c if c.is_alphanumeric() || c == '_' => word.push(c),
            _ => word.clear(),
        }
    }
    fields
}

#[test]
fn every_configuration_key_is_documented_with_its_environment_variable() {
    let keys = default_keys();
    assert!(
        keys.contains("server.bind") && keys.contains("scorm.bomb_max_ratio"),
        "{keys:?}"
    );
    for key in &keys {
        let env = format!("CURRICULA__{}", key.replace('.', "__").to_uppercase());
        let row = OPERATIONS
            .lines()
            .find(|l| l.starts_with(&format!("| `{key}` |")))
            .unwrap_or_else(|| panic!("docs/OPERATIONS.md has no row for `{key}`"));
        assert!(
            row.contains(&format!("`{env}`")),
            "the row of {key} does not name {env}"
        );
    }
}

#[test]
fn the_defaults_file_and_the_settings_struct_have_the_same_keys() {
    let fields = settings_fields();
    let keys = default_keys();
    assert!(fields.contains("database.pool_size"), "{fields:?}");
    assert_eq!(fields, keys, "Settings fields vs config/default.toml keys");
}
