//! `curricula admin …`: tenants, keys, users, organisations and languages.

use crate::settings::Settings;
use clap::{Args, Subcommand};
use curricula_domain::{ApiKeyId, TenantId};
use serde_json::{Value, json};

/// `curricula admin` arguments.
#[derive(Args)]
pub struct AdminArgs {
    /// Print one JSON value instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: AdminCommand,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Tenants (accounts).
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// API keys (printed once at creation, stored hashed).
    #[command(subcommand)]
    Key(KeyCommand),
    /// Users (owners of uploads).
    #[command(subcommand)]
    User(UserCommand),
    /// Organisations (departments).
    #[command(subcommand)]
    Org(OrgCommand),
    /// Languages enabled for a tenant.
    #[command(subcommand)]
    Language(LanguageCommand),
}

#[derive(Subcommand)]
enum TenantCommand {
    /// Create a tenant.
    Create {
        /// Display name.
        #[arg(long)]
        name: String,
        /// Language of every activity's first version, e.g. en-GB.
        #[arg(long)]
        default_language: String,
        /// Other enabled languages, comma-separated.
        #[arg(long, value_delimiter = ',')]
        languages: Vec<String>,
    },
    /// List tenants.
    List,
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Issue a key; bind it to an origin to use it on the upload API.
    Create {
        /// Tenant id.
        #[arg(long)]
        tenant: i64,
        /// Origin of the calling system, e.g. https://skoli.istak.is.
        #[arg(long)]
        origin: Option<String>,
        /// Import a key the partner already uses instead of generating one.
        #[arg(long)]
        key: Option<String>,
    },
    /// List a tenant's keys (never the keys themselves), with whether each still works.
    List {
        /// Tenant id.
        #[arg(long)]
        tenant: i64,
    },
    /// Revoke a key: every instance refuses it, and its launch and content URLs, at once.
    Revoke {
        /// Tenant id.
        #[arg(long)]
        tenant: i64,
        /// Key id (from `key list`).
        #[arg(long)]
        id: i64,
    },
    /// Issue a new key for the same tenant and origin (printed once); the old key keeps
    /// working for a grace period, then is refused.
    Rotate {
        /// Tenant id.
        #[arg(long)]
        tenant: i64,
        /// Key id (from `key list`).
        #[arg(long)]
        id: i64,
        /// Hours the old key keeps working (0 = none, at most 720).
        #[arg(long, default_value_t = curricula_service::admin::DEFAULT_GRACE_HOURS)]
        grace_hours: u32,
    },
}

/// Whether a key works at `now`, in words: `active`, `revoked`, `expires …` or `expired …`.
fn key_state(k: &curricula_ports::ApiKeyRecord, now: chrono::DateTime<chrono::Utc>) -> String {
    match (k.revoked_at, k.expires_at) {
        (Some(at), _) => format!("revoked {}", at.to_rfc3339()),
        (None, Some(end)) if now < end => format!("expires {}", end.to_rfc3339()),
        (None, Some(end)) => format!("expired {}", end.to_rfc3339()),
        (None, None) => "active".to_owned(),
    }
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user.
    Create {
        /// Tenant id.
        #[arg(long)]
        tenant: i64,
        /// User name, unique in the tenant.
        #[arg(long)]
        username: String,
    },
    /// List a tenant's users.
    List {
        /// Tenant id.
        #[arg(long)]
        tenant: i64,
    },
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Create an organisation.
    Create {
        /// Tenant id.
        #[arg(long)]
        tenant: i64,
        /// Display name.
        #[arg(long)]
        name: String,
        /// The partner's own department id (default: next free).
        #[arg(long)]
        id: Option<i64>,
    },
    /// List a tenant's organisations.
    List {
        /// Tenant id.
        #[arg(long)]
        tenant: i64,
    },
}

#[derive(Subcommand)]
enum LanguageCommand {
    /// Enable a language for a tenant.
    Enable {
        /// Tenant id.
        #[arg(long)]
        tenant: i64,
        /// Culture code, e.g. is-IS.
        #[arg(long)]
        code: String,
    },
    /// List a tenant's languages.
    List {
        /// Tenant id.
        #[arg(long)]
        tenant: i64,
    },
}

/// Runs an admin command against the configured database.
///
/// # Errors
/// When the database cannot be opened or the command is refused.
pub async fn run(args: AdminArgs, settings: &Settings) -> anyhow::Result<()> {
    let admin = crate::existing::open_existing(settings).await?.admin();
    let (value, text): (Value, String) = match args.command {
        AdminCommand::Tenant(TenantCommand::Create {
            name,
            default_language,
            languages,
        }) => {
            let t = admin.create_tenant(&name, &default_language, &languages).await?;
            (json!({ "id": t.id }), format!("tenant {} created ({})", t.id, t.name))
        }
        AdminCommand::Tenant(TenantCommand::List) => {
            let list = admin.tenants().await?;
            let text = list
                .iter()
                .map(|t| {
                    let langs: Vec<_> = t.languages.iter().map(ToString::to_string).collect();
                    format!(
                        "{}\t{}\tdefault {}\t{}",
                        t.id,
                        t.name,
                        t.default_language,
                        langs.join(",")
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            let value = list
                .iter()
                .map(|t| json!({"id": t.id, "name": t.name, "default_language": t.default_language, "languages": t.languages}))
                .collect();
            (Value::Array(value), text)
        }
        AdminCommand::Key(KeyCommand::Create { tenant, origin, key }) => {
            let issued = admin
                .create_key(TenantId(tenant), origin.as_deref(), key.as_deref())
                .await?;
            let text = if key.is_some() {
                // The partner's own key: nothing new to keep, so not "shown once".
                format!(
                    "key {} imported for tenant {tenant} (only its SHA-256 is stored)",
                    issued.record.id
                )
            } else {
                format!(
                    "{}\n(key {} for tenant {tenant}; shown once, store it now)",
                    issued.key, issued.record.id
                )
            };
            (json!({ "id": issued.record.id, "key": issued.key }), text)
        }
        AdminCommand::Key(KeyCommand::List { tenant }) => {
            let list = admin.keys(TenantId(tenant)).await?;
            let now = chrono::Utc::now();
            let text = list
                .iter()
                .map(|k| {
                    let origin = k.origin.as_ref().map_or("-", |o| o.as_str());
                    let state = key_state(k, now);
                    format!(
                        "{}\torigin {origin}\tcreated {}\t{state}",
                        k.id,
                        k.created_at.to_rfc3339()
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            let value = list
                .iter()
                .map(|k| {
                    json!({
                        "id": k.id, "origin": k.origin, "created_at": k.created_at,
                        "revoked_at": k.revoked_at, "expires_at": k.expires_at, "usable": k.usable_at(now),
                    })
                })
                .collect();
            (Value::Array(value), text)
        }
        AdminCommand::Key(KeyCommand::Revoke { tenant, id }) => {
            let k = admin.revoke_key(TenantId(tenant), ApiKeyId(id)).await?;
            let at = k.revoked_at.map(|t| t.to_rfc3339()).unwrap_or_default();
            (
                json!({ "id": k.id, "revoked_at": k.revoked_at }),
                format!("key {} of tenant {tenant} revoked at {at}", k.id),
            )
        }
        AdminCommand::Key(KeyCommand::Rotate {
            tenant,
            id,
            grace_hours,
        }) => {
            let rotated = admin
                .rotate_key(TenantId(tenant), ApiKeyId(id), Some(grace_hours))
                .await?;
            let ends = rotated.old.expires_at.map(|t| t.to_rfc3339()).unwrap_or_default();
            (
                json!({
                    "id": rotated.new.record.id, "key": rotated.new.key,
                    "old_id": rotated.old.id, "old_expires_at": rotated.old.expires_at,
                }),
                format!(
                    "{}\n(key {} for tenant {tenant}, replacing key {}, which works until {ends}; shown once, store it now)",
                    rotated.new.key, rotated.new.record.id, rotated.old.id
                ),
            )
        }
        AdminCommand::User(UserCommand::Create { tenant, username }) => {
            let u = admin.create_user(TenantId(tenant), &username).await?;
            (json!({ "id": u.id }), format!("user {} created ({})", u.id, u.username))
        }
        AdminCommand::User(UserCommand::List { tenant }) => {
            let list = admin.users(TenantId(tenant)).await?;
            let text = list
                .iter()
                .map(|u| format!("{}\t{}", u.id, u.username))
                .collect::<Vec<_>>()
                .join("\n");
            let value = list
                .iter()
                .map(|u| json!({"id": u.id, "username": u.username}))
                .collect();
            (Value::Array(value), text)
        }
        AdminCommand::Org(OrgCommand::Create { tenant, name, id }) => {
            let o = admin.create_organisation(TenantId(tenant), &name, id).await?;
            (
                json!({ "id": o.id }),
                format!("organisation {} created ({})", o.id, o.name),
            )
        }
        AdminCommand::Org(OrgCommand::List { tenant }) => {
            let list = admin.organisations(TenantId(tenant)).await?;
            let text = list
                .iter()
                .map(|o| format!("{}\t{}", o.id, o.name))
                .collect::<Vec<_>>()
                .join("\n");
            let value = list.iter().map(|o| json!({"id": o.id, "name": o.name})).collect();
            (Value::Array(value), text)
        }
        AdminCommand::Language(LanguageCommand::Enable { tenant, code }) => {
            let code = admin.enable_language(TenantId(tenant), &code).await?;
            (json!({ "code": code }), format!("{code} enabled for tenant {tenant}"))
        }
        AdminCommand::Language(LanguageCommand::List { tenant }) => {
            let tenant = admin
                .tenants()
                .await?
                .into_iter()
                .find(|t| t.id.0 == tenant)
                .ok_or_else(|| anyhow::anyhow!("tenant {tenant} was not found"))?;
            let text = tenant
                .languages
                .iter()
                .map(|l| {
                    if *l == tenant.default_language {
                        format!("{l}\t(default)")
                    } else {
                        l.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join("\n");
            let value = tenant
                .languages
                .iter()
                .map(|l| json!({"code": l, "default": *l == tenant.default_language}))
                .collect();
            (Value::Array(value), text)
        }
    };
    if args.json {
        println!("{value}");
    } else if !text.is_empty() {
        println!("{text}");
    }
    Ok(())
}
