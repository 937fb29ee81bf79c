//! `veil credential`: issue, revoke, request, present and verify
//! credentials.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use serde_json::{json, Value};
use veil_circuits::field;

use crate::identity::presentation::{random_nonce, PredicateSpec, PresentationRequest};
use crate::identity::schema::{AttributeValue, CredentialType, Date};
use crate::wallet::client::HttpSource;

use super::*;

/// `veil credential`.
#[derive(Debug, clap::Args)]
pub struct CredentialArgs {
    /// The node's API (the global `--api` / `VEIL_API`).
    #[arg(skip)]
    pub api: String,
    /// What to do.
    #[command(subcommand)]
    pub command: CredentialCommand,
}

/// Credential commands.
#[derive(Debug, clap::Subcommand)]
pub enum CredentialCommand {
    /// Issue a credential to a holder (as an accredited issuer).
    Issue {
        /// The issuer's identity keystore.
        #[arg(long)]
        keystore: PathBuf,
        /// The type.
        #[arg(long = "type")]
        credential_type: String,
        /// The holder's commitment (`veil did show`).
        #[arg(long)]
        holder_commitment: String,
        /// Attributes as `name=value` (dates YYYY-MM-DD).
        #[arg(long = "attr", required = true)]
        attributes: Vec<String>,
        /// Where to write the credential (VC 2.0 JSON); stdout if absent.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Revoke a credential (as its issuer).
    Revoke {
        /// The issuer's identity keystore.
        #[arg(long)]
        keystore: PathBuf,
        /// The credential file.
        #[arg(long)]
        credential: Option<PathBuf>,
        /// Or its leaf index.
        #[arg(long)]
        leaf: Option<u32>,
    },
    /// Write a presentation request (as a verifier).
    Request {
        /// The type asked for.
        #[arg(long = "type")]
        credential_type: String,
        /// The verifier's scope (nullifiers are per scope).
        #[arg(long)]
        scope: String,
        /// Attributes to disclose (comma-separated).
        #[arg(long, default_value = "")]
        disclose: String,
        /// Accepted issuers (repeat; default any accredited).
        #[arg(long = "issuer")]
        issuers: Vec<String>,
        /// The predicate's attribute.
        #[arg(long)]
        predicate: Option<String>,
        /// Its minimum.
        #[arg(long)]
        min: Option<String>,
        /// Its maximum.
        #[arg(long)]
        max: Option<String>,
        /// For a birth date: at least this many years old today.
        #[arg(long)]
        min_age: Option<u32>,
        /// Where to write it; stdout if absent.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Answer a request with a zero-knowledge presentation (as the holder).
    Present {
        /// The holder's identity keystore.
        #[arg(long)]
        keystore: PathBuf,
        /// The credential file.
        #[arg(long)]
        credential: PathBuf,
        /// The request file.
        #[arg(long)]
        request: PathBuf,
        /// Where to write the presentation; stdout if absent.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Verify a presentation against its request (the node checks and
    /// records the nullifier).
    Verify {
        /// The presentation file.
        #[arg(long)]
        presentation: PathBuf,
        /// The request file.
        #[arg(long)]
        request: PathBuf,
    },
}

fn read_json(path: &Path) -> anyhow::Result<Value> {
    let meta = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?;
    if meta.len() > 1024 * 1024 {
        bail!("{} is too large", path.display());
    }
    serde_json::from_slice(&std::fs::read(path)?)
        .with_context(|| format!("parsing {}", path.display()))
}

fn write_or_print(out: Option<&Path>, v: &Value, json: bool) -> anyhow::Result<()> {
    match out {
        Some(p) => {
            crate::cli::write_output(p, &serde_json::to_vec_pretty(v)?)?;
            if json {
                crate::cli::print_json(&json!({"written": p.display().to_string()}));
            } else {
                println!("wrote {}", p.display());
            }
        }
        None => println!(
            "{}",
            if json {
                v.to_string()
            } else {
                serde_json::to_string_pretty(v)?
            }
        ),
    }
    Ok(())
}

/// A request from command-line options.
#[allow(clippy::too_many_arguments)]
pub fn build_request(
    ty: &CredentialType,
    scope: &str,
    disclose: &str,
    issuers: &[String],
    predicate: Option<&str>,
    min: Option<&str>,
    max: Option<&str>,
    min_age: Option<u32>,
) -> anyhow::Result<PresentationRequest> {
    let predicate = match (predicate, min_age) {
        (None, None) => None,
        (attribute, Some(age)) => {
            let attribute = attribute.unwrap_or("birth_date").to_owned();
            let cutoff = Date::today(&crate::clock::SystemClock)
                .years_before(age)
                .ok_or_else(|| anyhow!("--min-age too large"))?;
            Some(PredicateSpec {
                attribute,
                min: None,
                max: Some(AttributeValue::Date(cutoff)),
            })
        }
        (Some(attribute), None) => {
            let (_, kind) = ty
                .attribute(attribute)
                .ok_or_else(|| anyhow!("{} has no attribute {attribute}", ty.name))?;
            let bound = |s: Option<&str>| -> anyhow::Result<Option<AttributeValue>> {
                s.map(|s| AttributeValue::from_json(attribute, kind, &Value::from(s)))
                    .transpose()
                    .map_err(Into::into)
            };
            Some(PredicateSpec {
                attribute: attribute.to_owned(),
                min: bound(min)?,
                max: bound(max)?,
            })
        }
    };
    let request = PresentationRequest {
        nonce: random_nonce(),
        scope: scope.to_owned(),
        credential_type: ty.name.clone(),
        issuers: issuers
            .iter()
            .map(|d| d.parse())
            .collect::<Result<_, _>>()?,
        disclose: disclose
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        predicate,
    };
    request.validate(ty)?;
    Ok(request)
}

/// Runs `veil credential`.
pub fn run_credential(args: CredentialArgs, json: bool) -> anyhow::Result<()> {
    let source = HttpSource::new(&args.api);
    let client = IdentityClient { source: &source };
    match args.command {
        CredentialCommand::Issue {
            keystore: path,
            credential_type,
            holder_commitment,
            attributes,
            out,
        } => {
            let issuer = open(&path)?;
            let hc = field::from_hex(&holder_commitment)
                .ok_or_else(|| anyhow!("--holder-commitment: 64 hex digits"))?;
            let attrs: BTreeMap<String, Value> = attributes
                .iter()
                .map(|a| {
                    let (k, v) = a
                        .split_once('=')
                        .ok_or_else(|| anyhow!("--attr name=value"))?;
                    Ok((k.to_owned(), Value::from(v)))
                })
                .collect::<anyhow::Result<_>>()?;
            let env = client.issue(&issuer, &credential_type, hc, &attrs)?;
            write_or_print(out.as_deref(), &env, json)?;
        }
        CredentialCommand::Revoke {
            keystore: path,
            credential,
            leaf,
        } => {
            let issuer = open(&path)?;
            let leaf = match (credential, leaf) {
                (_, Some(l)) => l,
                (Some(c), None) => read_json(&c)?["credentialStatus"]["leafIndex"]
                    .as_u64()
                    .and_then(|i| u32::try_from(i).ok())
                    .ok_or_else(|| anyhow!("the credential has no credentialStatus.leafIndex"))?,
                (None, None) => bail!("--credential FILE or --leaf N"),
            };
            let (hash, height) = client.revoke(&issuer, vec![leaf])?;
            if json {
                crate::cli::print_json(
                    &json!({"revoked": leaf, "tx": hash.to_string(), "height": height}),
                );
            } else {
                println!(
                    "revoked leaf {leaf} of {}\n  tx {hash} at height {height}",
                    issuer.did
                );
            }
        }
        CredentialCommand::Request {
            credential_type,
            scope,
            disclose,
            issuers,
            predicate,
            min,
            max,
            min_age,
            out,
        } => {
            let ty = client.credential_type(&credential_type)?;
            let r = build_request(
                &ty,
                &scope,
                &disclose,
                &issuers,
                predicate.as_deref(),
                min.as_deref(),
                max.as_deref(),
                min_age,
            )?;
            write_or_print(out.as_deref(), &r.to_json(), json)?;
        }
        CredentialCommand::Present {
            keystore: path,
            credential,
            request,
            out,
        } => {
            let holder = open(&path)?;
            let envelope = read_json(&credential)?;
            let types = client.types()?;
            let request =
                PresentationRequest::from_json(&read_json(&request)?, &|n| types.get(n).cloned())?;
            let started = std::time::Instant::now();
            let p = client.present(&holder, &envelope, &request)?;
            if !json {
                eprintln!("proved in {:.2} s", started.elapsed().as_secs_f64());
            }
            write_or_print(out.as_deref(), &p.to_json(), json)?;
        }
        CredentialCommand::Verify {
            presentation,
            request,
        } => match client.verify(&read_json(&presentation)?, &read_json(&request)?)? {
            Ok(v) => {
                if json {
                    crate::cli::print_json(&v);
                } else {
                    println!("verified\n{}", serde_json::to_string_pretty(&v)?);
                }
            }
            Err(p) => bail!("refused: {} ({}): {}", p.title, p.kind, p.detail),
        },
    }
    Ok(())
}
