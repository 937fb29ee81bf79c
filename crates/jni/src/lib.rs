//! The native core of Veil's Java SDK (`sdk/java`): JNI entry points of
//! `org.veil.sdk.NativeCore` over the wallet, cold-signing and client
//! crates. No cryptography is written here or in Java: every function
//! converts its arguments, calls the Rust code the CLI uses, and converts
//! the answer back.
//!
//! Conventions (the Java side documents them per method):
//! - Secrets cross as `byte[]` (seed, 64-byte view key `a ‖ B`, the wallet
//!   state JSON, spend requests and signed transfers); Rust copies are
//!   wiped ([`Zeroizing`]) before returning, Java wipes its own.
//! - Failures throw `org.veil.sdk` exceptions: a node's problem+json
//!   answer a `ProblemException` (or the subclass of its code) built with
//!   the problem's type, title, status and detail; the others carry a
//!   message. A panic is caught and thrown as `IllegalStateException`
//!   rather than unwinding into the JVM.
//! - Every input is bounded before it is parsed ([`MAX_INPUT`]).
//!
//! `unsafe_code` is denied in this crate rather than forbidden as in the
//! rest of the workspace: JNI symbols must be exported unmangled, which
//! `#[no_mangle]` does and the lint counts as unsafe. It is allowed on the
//! entry points alone; there is no `unsafe` block.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use jni::objects::{JByteArray, JClass, JLongArray, JObject, JObjectArray, JString, JValue};
use jni::sys::{jbyteArray, jint, jlong, jlongArray, jobjectArray, jstring};
use jni::JNIEnv;
use rand_core::{OsRng, RngCore};
use zeroize::Zeroizing;

use veil_client::ClientError;
use veil_crypto::clsag::RingMember;
use veil_crypto::commitment::Commitment;
use veil_crypto::keys::{AccountKeys, ViewKey};
use veil_crypto::point::{scalar_from_canonical, Point};
use veil_crypto::secret::Secret;
use veil_crypto::stealth::OneTimeKey;
use veil_tx::{AssetId, Transaction};
use veil_wallet::client::HttpSource;
use veil_wallet::cold::{ColdError, RequestPayment, SignedTransfer, SpendRequest};
use veil_wallet::source::{ChainSource, SourceError, TxStatus};
use veil_wallet::state::WalletState;
use veil_wallet::{Wallet, WalletError};

/// Largest byte array or string accepted from Java (a wallet state with a
/// long history stays far below it).
pub const MAX_INPUT: usize = 64 << 20;

const PKG: &str = "org/veil/sdk/";

/// Why a native call failed, as the Java exception it becomes.
#[derive(Debug)]
enum Error {
    /// `WalletException`.
    Wallet(String),
    /// `NetworkException`.
    Network(String),
    /// `InvalidRequestException`.
    InvalidRequest(String),
    /// `StaleRequestException`.
    Stale(String),
    /// `InsufficientFundsException`.
    Insufficient(String),
    /// `InvalidTransactionException`.
    InvalidTx(String),
    /// `ProblemException` or its subclass, and the `Retry-After` seconds a
    /// busy node gave.
    Problem(veil_client::types::Problem, Option<u64>),
    /// `VeilException`.
    Other(String),
    /// A JNI call failed; a Java exception may already be pending.
    Jni(jni::errors::Error),
}

impl From<jni::errors::Error> for Error {
    fn from(e: jni::errors::Error) -> Self {
        Self::Jni(e)
    }
}

impl From<SourceError> for Error {
    fn from(e: SourceError) -> Self {
        match e {
            SourceError::Api(ClientError::Problem {
                problem,
                retry_after,
                ..
            }) => Self::Problem(*problem, retry_after),
            e @ SourceError::Api(ClientError::Transport { .. }) => Self::Network(e.to_string()),
            e => Self::Other(e.to_string()),
        }
    }
}

impl From<ColdError> for Error {
    fn from(e: ColdError) -> Self {
        match e {
            ColdError::Stale(_) => Self::Stale(e.to_string()),
            e => Self::InvalidRequest(e.to_string()),
        }
    }
}

impl From<WalletError> for Error {
    fn from(e: WalletError) -> Self {
        match e {
            WalletError::Source(s) => s.into(),
            WalletError::Cold(c) => c.into(),
            e @ WalletError::Insufficient { .. } => Self::Insufficient(e.to_string()),
            e @ (WalletError::Keystore(_) | WalletError::Data(_) | WalletError::ViewOnly) => {
                Self::Wallet(e.to_string())
            }
            e @ WalletError::Build(_) => Self::InvalidRequest(e.to_string()),
            e => Self::Other(e.to_string()),
        }
    }
}

/// The exception class of a problem code.
fn problem_class(code: &str) -> &'static str {
    match code {
        "double-spend" => "DoubleSpendException",
        "duplicate" => "DuplicateTransactionException",
        "mempool-full" | "busy" => "NodeBusyException",
        "not-found" => "NotFoundException",
        _ => "ProblemException",
    }
}

fn throw(env: &mut JNIEnv, e: Error) {
    let simple = |class: &str, msg: String| (format!("{PKG}{class}"), msg);
    let (class, msg) = match e {
        Error::Wallet(m) => simple("WalletException", m),
        Error::Network(m) => simple("NetworkException", m),
        Error::InvalidRequest(m) => simple("InvalidRequestException", m),
        Error::Stale(m) => simple("StaleRequestException", m),
        Error::Insufficient(m) => simple("InsufficientFundsException", m),
        Error::InvalidTx(m) => simple("InvalidTransactionException", m),
        Error::Other(m) => simple("VeilException", m),
        Error::Jni(e) => {
            if env.exception_check().unwrap_or(true) {
                return;
            }
            simple("VeilException", format!("native call: {e}"))
        }
        Error::Problem(p, retry_after) => {
            let code = p.kind.rsplit(':').next().unwrap_or_default();
            let simple_class = problem_class(code);
            let class = format!("{PKG}{simple_class}");
            let built = (|| -> jni::errors::Result<JObject> {
                let kind = env.new_string(&p.kind)?;
                let title = env.new_string(&p.title)?;
                let detail = env.new_string(&p.detail)?;
                let args = [
                    JValue::Object(&kind),
                    JValue::Object(&title),
                    JValue::Int(jint::from(p.status)),
                    JValue::Object(&detail),
                ];
                if simple_class == "NodeBusyException" {
                    // −1: the node gave no Retry-After.
                    let wait = retry_after
                        .and_then(|s| i64::try_from(s).ok())
                        .unwrap_or(-1);
                    let mut all = args.to_vec();
                    all.push(JValue::Long(wait));
                    env.new_object(
                        class.as_str(),
                        "(Ljava/lang/String;Ljava/lang/String;ILjava/lang/String;J)V",
                        &all,
                    )
                } else {
                    env.new_object(
                        class.as_str(),
                        "(Ljava/lang/String;Ljava/lang/String;ILjava/lang/String;)V",
                        &args,
                    )
                }
            })();
            match built {
                Ok(obj) => {
                    let _ = env.throw(jni::objects::JThrowable::from(obj));
                    return;
                }
                Err(_) => simple(
                    "VeilException",
                    format!("{} ({}): {}", p.title, p.status, p.detail),
                ),
            }
        }
    };
    if !env.exception_check().unwrap_or(true) {
        let _ = env.throw_new(class, msg);
    }
}

/// Runs `f`, turning an error or a panic into a Java exception and the
/// JNI null of the return type.
fn run<'l, T: Default>(
    env: &mut JNIEnv<'l>,
    f: impl FnOnce(&mut JNIEnv<'l>) -> Result<T, Error>,
) -> T {
    match catch_unwind(AssertUnwindSafe(|| f(env))) {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            throw(env, e);
            T::default()
        }
        Err(_) => {
            if !env.exception_check().unwrap_or(true) {
                let _ = env.throw_new(
                    "java/lang/IllegalStateException",
                    "veil native core panicked",
                );
            }
            T::default()
        }
    }
}

fn bytes(env: &JNIEnv, a: &JByteArray) -> Result<Zeroizing<Vec<u8>>, Error> {
    if a.is_null() {
        return Err(Error::Other("a byte array argument is null".into()));
    }
    let len = usize::try_from(env.get_array_length(a)?).unwrap_or(usize::MAX);
    if len > MAX_INPUT {
        return Err(Error::Other(format!(
            "an argument of {len} bytes; at most {MAX_INPUT}"
        )));
    }
    Ok(Zeroizing::new(env.convert_byte_array(a)?))
}

fn string(env: &mut JNIEnv, s: &JString) -> Result<String, Error> {
    if s.is_null() {
        return Err(Error::Other("a string argument is null".into()));
    }
    let s: String = env.get_string(s)?.into();
    if s.len() > MAX_INPUT {
        return Err(Error::Other("a string argument is too long".into()));
    }
    Ok(s)
}

fn byte_array(env: &JNIEnv, b: &[u8]) -> Result<jbyteArray, Error> {
    Ok(env.byte_array_from_slice(b)?.into_raw())
}

fn seed(env: &JNIEnv, a: &JByteArray) -> Result<Zeroizing<[u8; 32]>, Error> {
    let b = bytes(env, a)?;
    let s = <[u8; 32]>::try_from(b.as_slice())
        .map_err(|_| Error::Wallet(format!("a seed is 32 bytes, not {}", b.len())))?;
    Ok(Zeroizing::new(s))
}

fn account(env: &JNIEnv, a: &JByteArray) -> Result<AccountKeys, Error> {
    Ok(AccountKeys::from_seed(&*seed(env, a)?))
}

fn view_key(env: &JNIEnv, a: &JByteArray) -> Result<ViewKey, Error> {
    let b = bytes(env, a)?;
    let bad = || Error::Wallet("a view key is 64 bytes: view secret ‖ spend public key".into());
    let (secret, public) = (b.get(..32).ok_or_else(bad)?, b.get(32..).ok_or_else(bad)?);
    let secret = <[u8; 32]>::try_from(secret)
        .ok()
        .and_then(|s| scalar_from_canonical(&s))
        .ok_or_else(bad)?;
    let public = <[u8; 32]>::try_from(public)
        .ok()
        .and_then(|p| Point::from_bytes_non_identity(&p).ok())
        .ok_or_else(bad)?;
    Ok(ViewKey::new(Secret::new(secret), public))
}

/// A view-only wallet with the state the caller holds.
fn view_wallet(env: &JNIEnv, key: &JByteArray, state: &JByteArray) -> Result<Wallet, Error> {
    let mut w = Wallet::view_only(view_key(env, key)?, "sdk");
    w.state = serde_json::from_slice(&bytes(env, state)?)
        .map_err(|e| Error::Wallet(format!("wallet state: {e}")))?;
    Ok(w)
}

fn state_bytes(env: &JNIEnv, w: &Wallet) -> Result<jbyteArray, Error> {
    let json = Zeroizing::new(
        serde_json::to_vec(&w.state).map_err(|e| Error::Wallet(format!("wallet state: {e}")))?,
    );
    byte_array(env, &json)
}

fn asset(s: &str) -> Result<AssetId, Error> {
    AssetId::new(s).map_err(|e| Error::Other(format!("asset {s:?}: {e}")))
}

fn jstr(env: &JNIEnv, s: &str) -> Result<jstring, Error> {
    Ok(env.new_string(s)?.into_raw())
}

fn string_array<'l>(env: &mut JNIEnv<'l>, items: &[String]) -> Result<JObjectArray<'l>, Error> {
    let len = i32::try_from(items.len()).map_err(|_| Error::Other("too many items".into()))?;
    let arr = env.new_object_array(len, "java/lang/String", JObject::null())?;
    for (i, s) in (0..).zip(items) {
        let js = env.new_string(s)?;
        env.set_object_array_element(&arr, i, js)?;
    }
    Ok(arr)
}

fn long_array<'l>(env: &JNIEnv<'l>, items: &[i64]) -> Result<JLongArray<'l>, Error> {
    let len = i32::try_from(items.len()).map_err(|_| Error::Other("too many items".into()))?;
    let arr = env.new_long_array(len)?;
    env.set_long_array_region(&arr, 0, items)?;
    Ok(arr)
}

fn signed_transfer(env: &JNIEnv, a: &JByteArray) -> Result<SignedTransfer, Error> {
    Ok(SignedTransfer::from_json(&bytes(env, a)?)?)
}

fn spend_request(env: &JNIEnv, a: &JByteArray) -> Result<SpendRequest, Error> {
    Ok(SpendRequest::from_json(&bytes(env, a)?)?)
}

fn i64_of(v: u64) -> Result<i64, Error> {
    i64::try_from(v).map_err(|_| Error::Other(format!("{v} does not fit a Java long")))
}

// ----- accounts --------------------------------------------------------

/// `byte[] generateSeed()`.
#[allow(unsafe_code)]
#[no_mangle]
pub extern "system" fn Java_org_veil_sdk_NativeCore_generateSeed<'l>(
    mut env: JNIEnv<'l>,
    _: JClass<'l>,
) -> jbyteArray {
    run(&mut env, |env| {
        let mut s = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(s.as_mut());
        byte_array(env, s.as_ref())
    })
}

/// `byte[] mnemonicFromSeed(byte[] seed)`.
#[allow(unsafe_code)]
#[no_mangle]
pub extern "system" fn Java_org_veil_sdk_NativeCore_mnemonicFromSeed<'l>(
    mut env: JNIEnv<'l>,
    _: JClass<'l>,
    seed_in: JByteArray<'l>,
) -> jbyteArray {
    run(&mut env, |env| {
        let s = seed(env, &seed_in)?;
        let m = bip39::Mnemonic::from_entropy(s.as_ref())
            .map_err(|e| Error::Wallet(format!("mnemonic: {e}")))?;
        let words = Zeroizing::new(m.to_string());
        byte_array(env, words.as_bytes())
    })
}

/// `byte[] seedFromMnemonic(byte[] mnemonic)`.
#[allow(unsafe_code)]
#[no_mangle]
pub extern "system" fn Java_org_veil_sdk_NativeCore_seedFromMnemonic<'l>(
    mut env: JNIEnv<'l>,
    _: JClass<'l>,
    words: JByteArray<'l>,
) -> jbyteArray {
    run(&mut env, |env| {
        let b = bytes(env, &words)?;
        let text = std::str::from_utf8(&b)
            .map_err(|_| Error::Wallet("the mnemonic is not UTF-8".into()))?;
        let m = bip39::Mnemonic::parse_in_normalized(bip39::Language::English, text.trim())
            .map_err(|e| Error::Wallet(format!("not a valid BIP-39 mnemonic: {e}")))?;
        if m.word_count() != 24 {
            return Err(Error::Wallet(format!(
                "a Veil seed is 24 words, not {}",
                m.word_count()
            )));
        }
        let (entropy, len) = m.to_entropy_array();
        let entropy = Zeroizing::new(entropy);
        byte_array(env, &entropy[..len])
    })
}

/// `String address(byte[] seed)`.
#[allow(unsafe_code)]
#[no_mangle]
pub extern "system" fn Java_org_veil_sdk_NativeCore_address<'l>(
    mut env: JNIEnv<'l>,
    _: JClass<'l>,
    seed_in: JByteArray<'l>,
) -> jstring {
    run(&mut env, |env| {
        let keys = account(env, &seed_in)?;
        jstr(env, &keys.address().to_string())
    })
}

/// `byte[] viewKey(byte[] seed)`.
#[allow(unsafe_code)]
#[no_mangle]
pub extern "system" fn Java_org_veil_sdk_NativeCore_viewKey<'l>(
    mut env: JNIEnv<'l>,
    _: JClass<'l>,
    seed_in: JByteArray<'l>,
) -> jbyteArray {
    run(&mut env, |env| {
        let keys = account(env, &seed_in)?;
        let v = keys.view_key();
        let mut out = Zeroizing::new([0u8; 64]);
        out[..32].copy_from_slice(v.secret().expose().as_bytes());
        out[32..].copy_from_slice(v.spend_public().as_bytes());
        byte_array(env, out.as_ref())
    })
}

/// `String viewAddress(byte[] viewKey)`.
#[allow(unsafe_code)]
#[no_mangle]
pub extern "system" fn Java_org_veil_sdk_NativeCore_viewAddress<'l>(
    mut env: JNIEnv<'l>,
    _: JClass<'l>,
    key: JByteArray<'l>,
) -> jstring {
    run(&mut env, |env| {
        let v = view_key(env, &key)?;
        jstr(env, &v.address().to_string())
    })
}

// ----- the view-only wallet ----------------------------------------------

/// `byte[] newState()`.
#[allow(unsafe_code)]
#[no_mangle]
pub extern "system" fn Java_org_veil_sdk_NativeCore_newState<'l>(
    mut env: JNIEnv<'l>,
    _: JClass<'l>,
) -> jbyteArray {
    run(&mut env, |env| {
        let json = serde_json::to_vec(&WalletState::default())
            .map_err(|e| Error::Wallet(e.to_string()))?;
        byte_array(env, &json)
    })
}

/// `byte[] sync(String api, byte[] viewKey, byte[] state)`.
#[allow(unsafe_code)]
#[no_mangle]
pub extern "system" fn Java_org_veil_sdk_NativeCore_sync<'l>(
    mut env: JNIEnv<'l>,
    _: JClass<'l>,
    api: JString<'l>,
    key: JByteArray<'l>,
    state: JByteArray<'l>,
) -> jbyteArray {
    run(&mut env, |env| {
        let source = HttpSource::new(&string(env, &api)?);
        let mut w = view_wallet(env, &key, &state)?;
        w.scan(&source, 50, &mut |_, _| {})?;
        state_bytes(env, &w)
    })
}

/// `long[] balance(byte[] viewKey, byte[] state, String asset)`.
#[allow(unsafe_code)]
#[no_mangle]
pub extern "system" fn Java_org_veil_sdk_NativeCore_balance<'l>(
    mut env: JNIEnv<'l>,
    _: JClass<'l>,
    key: JByteArray<'l>,
    state: JByteArray<'l>,
    asset_in: JString<'l>,
) -> jlongArray {
    run(&mut env, |env| {
        let w = view_wallet(env, &key, &state)?;
        let b = w.balance(&asset(&string(env, &asset_in)?)?);
        Ok(long_array(env, &[i64_of(b.confirmed)?, i64_of(b.pending)?])?.into_raw())
    })
}

/// `HistoryEntry[] history(byte[] state)`.
#[allow(unsafe_code)]
#[no_mangle]
pub extern "system" fn Java_org_veil_sdk_NativeCore_history<'l>(
    mut env: JNIEnv<'l>,
    _: JClass<'l>,
    state: JByteArray<'l>,
) -> jobjectArray {
    run(&mut env, |env| {
        let s: WalletState = serde_json::from_slice(&bytes(env, &state)?)
            .map_err(|e| Error::Wallet(format!("wallet state: {e}")))?;
        let class = format!("{PKG}HistoryEntry");
        let mut rows = Vec::new();
        for h in &s.history {
            rows.push((
                h.tx.clone(),
                h.height.map_or(Ok(-1), i64_of)?,
                h.direction.clone(),
                h.asset.clone(),
                h.amount,
                h.fee,
                h.memo.clone(),
                h.counterparty.clone(),
            ));
        }
        for p in &s.pending {
            rows.push((
                p.tx.clone(),
                -1,
                "out".into(),
                p.asset.clone(),
                p.amount,
                p.fee,
                p.memo.clone(),
                Some(p.to.clone()),
            ));
        }
        let len = i32::try_from(rows.len()).map_err(|_| Error::Other("history too long".into()))?;
        let arr = env.new_object_array(len, class.as_str(), JObject::null())?;
        for (i, (tx, height, dir, asset, amount, fee, memo, to)) in (0..).zip(rows) {
            let tx = env.new_string(tx)?;
            let dir = env.new_string(dir)?;
            let asset = env.new_string(asset)?;
            let memo = env.new_string(memo)?;
            let to = match to {
                Some(t) => JObject::from(env.new_string(t)?),
                None => JObject::null(),
            };
            let obj = env.new_object(
                class.as_str(),
                "(Ljava/lang/String;JLjava/lang/String;Ljava/lang/String;JJLjava/lang/String;Ljava/lang/String;)V",
                &[
                    JValue::Object(&tx),
                    JValue::Long(height),
                    JValue::Object(&dir),
                    JValue::Object(&asset),
                    JValue::Long(i64_of(amount)?),
                    JValue::Long(i64_of(fee)?),
                    JValue::Object(&memo),
                    JValue::Object(&to),
                ],
            )?;
            env.set_object_array_element(&arr, i, obj)?;
        }
        Ok(arr.into_raw())
    })
}

/// `Object[] prepare(String api, byte[] viewKey, byte[] state, String
/// asset, String[] to, long[] amounts, String[] memos, long fee, int ring)`.
#[allow(unsafe_code, clippy::too_many_arguments)]
#[no_mangle]
pub extern "system" fn Java_org_veil_sdk_NativeCore_prepare<'l>(
    mut env: JNIEnv<'l>,
    _: JClass<'l>,
    api: JString<'l>,
    key: JByteArray<'l>,
    state: JByteArray<'l>,
    asset_in: JString<'l>,
    to: JObjectArray<'l>,
    amounts: JLongArray<'l>,
    memos: JObjectArray<'l>,
    fee: jlong,
    ring: jint,
) -> jobjectArray {
    run(&mut env, |env| {
        let source = HttpSource::new(&string(env, &api)?);
        let mut w = view_wallet(env, &key, &state)?;
        let asset = asset(&string(env, &asset_in)?)?;
        if to.is_null() || amounts.is_null() || memos.is_null() {
            return Err(Error::Other("payments are null".into()));
        }
        let n = env.get_array_length(&to)?;
        if env.get_array_length(&amounts)? != n || env.get_array_length(&memos)? != n {
            return Err(Error::Other(
                "to, amounts and memos differ in length".into(),
            ));
        }
        let mut values = vec![0i64; usize::try_from(n).unwrap_or(0)];
        env.get_long_array_region(&amounts, 0, &mut values)?;
        let mut payments = Vec::with_capacity(values.len());
        for (i, v) in (0..n).zip(&values) {
            let t = JString::from(env.get_object_array_element(&to, i)?);
            let m = JString::from(env.get_object_array_element(&memos, i)?);
            let memo = if m.is_null() {
                String::new()
            } else {
                string(env, &m)?
            };
            payments.push(RequestPayment {
                to: string(env, &t)?,
                amount: u64::try_from(*v)
                    .map_err(|_| Error::InvalidRequest("a negative amount".into()))?,
                memo,
            });
        }
        let fee = u64::try_from(fee).map_err(|_| Error::InvalidRequest("a negative fee".into()))?;
        let ring = usize::try_from(ring)
            .map_err(|_| Error::InvalidRequest("a negative ring size".into()))?;
        let request = w.prepare_request(&source, &asset, payments, fee, ring, &mut OsRng)?;
        let json = Zeroizing::new(request.to_json()?);
        let arr = env.new_object_array(2, "java/lang/Object", JObject::null())?;
        let req = env.byte_array_from_slice(&json)?;
        env.set_object_array_element(&arr, 0, req)?;
        let st =
            Zeroizing::new(serde_json::to_vec(&w.state).map_err(|e| Error::Wallet(e.to_string()))?);
        let st = env.byte_array_from_slice(&st)?;
        env.set_object_array_element(&arr, 1, st)?;
        Ok(arr.into_raw())
    })
}

/// `byte[] release(byte[] viewKey, byte[] state, byte[] request)`.
#[allow(unsafe_code)]
#[no_mangle]
pub extern "system" fn Java_org_veil_sdk_NativeCore_release<'l>(
    mut env: JNIEnv<'l>,
    _: JClass<'l>,
    key: JByteArray<'l>,
    state: JByteArray<'l>,
    request: JByteArray<'l>,
) -> jbyteArray {
    run(&mut env, |env| {
        let mut w = view_wallet(env, &key, &state)?;
        let r = spend_request(env, &request)?;
        w.release_request(&r.digest);
        state_bytes(env, &w)
    })
}

/// `int decimals(String api, String asset)`.
#[allow(unsafe_code)]
#[no_mangle]
pub extern "system" fn Java_org_veil_sdk_NativeCore_decimals<'l>(
    mut env: JNIEnv<'l>,
    _: JClass<'l>,
    api: JString<'l>,
    asset_in: JString<'l>,
) -> jint {
    run(&mut env, |env| {
        let source = HttpSource::new(&string(env, &api)?);
        Ok(jint::from(
            source.asset(&asset(&string(env, &asset_in)?)?)?.decimals,
        ))
    })
}

// ----- offline signing ---------------------------------------------------

/// `Review review(byte[] seed, byte[] request)`.
#[allow(unsafe_code)]
#[no_mangle]
pub extern "system" fn Java_org_veil_sdk_NativeCore_review<'l>(
    mut env: JNIEnv<'l>,
    _: JClass<'l>,
    seed_in: JByteArray<'l>,
    request: JByteArray<'l>,
) -> jni::sys::jobject {
    run(&mut env, |env| {
        let keys = account(env, &seed_in)?;
        let r = spend_request(env, &request)?.review(&keys)?;
        let to: Vec<String> = r.payments.iter().map(|p| p.to.clone()).collect();
        let memos: Vec<String> = r.payments.iter().map(|p| p.memo.clone()).collect();
        let amounts = r
            .payments
            .iter()
            .map(|p| i64_of(p.amount))
            .collect::<Result<Vec<_>, _>>()?;
        let to = string_array(env, &to)?;
        let memos = string_array(env, &memos)?;
        let amounts = long_array(env, &amounts)?;
        let asset = env.new_string(&r.asset)?;
        let digest = env.new_string(&r.digest)?;
        let int = |v: usize| i32::try_from(v).map_err(|_| Error::Other("too large".into()));
        let obj = env.new_object(
            format!("{PKG}Review"),
            "(Ljava/lang/String;I[Ljava/lang/String;[J[Ljava/lang/String;JJJIIJLjava/lang/String;)V",
            &[
                JValue::Object(&asset),
                JValue::Int(jint::from(r.decimals)),
                JValue::Object(&to),
                JValue::Object(&amounts),
                JValue::Object(&memos),
                JValue::Long(i64_of(r.fee)?),
                JValue::Long(i64_of(r.change)?),
                JValue::Long(i64_of(r.inputs_total)?),
                JValue::Int(int(r.inputs)?),
                JValue::Int(int(r.ring)?),
                JValue::Long(i64_of(r.prepared_at_height)?),
                JValue::Object(&digest),
            ],
        )?;
        Ok(obj.into_raw())
    })
}

/// `byte[] sign(byte[] seed, byte[] request)`.
#[allow(unsafe_code)]
#[no_mangle]
pub extern "system" fn Java_org_veil_sdk_NativeCore_sign<'l>(
    mut env: JNIEnv<'l>,
    _: JClass<'l>,
    seed_in: JByteArray<'l>,
    request: JByteArray<'l>,
) -> jbyteArray {
    run(&mut env, |env| {
        let keys = account(env, &seed_in)?;
        let (signed, _) = spend_request(env, &request)?.sign(&keys, &mut OsRng)?;
        byte_array(env, &Zeroizing::new(signed.to_json()?))
    })
}

/// `long signNanos(byte[] seed, byte[] request, int n)`.
#[allow(unsafe_code)]
#[no_mangle]
pub extern "system" fn Java_org_veil_sdk_NativeCore_signNanos<'l>(
    mut env: JNIEnv<'l>,
    _: JClass<'l>,
    seed_in: JByteArray<'l>,
    request: JByteArray<'l>,
    n: jint,
) -> jlong {
    run(&mut env, |env| {
        let keys = account(env, &seed_in)?;
        let raw = bytes(env, &request)?;
        let started = Instant::now();
        for _ in 0..n.max(0) {
            // As the SDK does per call: read the request, sign, write JSON.
            let r = SpendRequest::from_json(&raw)?;
            let (signed, _) = r.sign(&keys, &mut OsRng)?;
            drop(Zeroizing::new(signed.to_json()?));
        }
        i64::try_from(started.elapsed().as_nanos()).map_err(|_| Error::Other("overflow".into()))
    })
}

/// `String[] signedInfo(byte[] signed)`.
#[allow(unsafe_code)]
#[no_mangle]
pub extern "system" fn Java_org_veil_sdk_NativeCore_signedInfo<'l>(
    mut env: JNIEnv<'l>,
    _: JClass<'l>,
    signed: JByteArray<'l>,
) -> jobjectArray {
    run(&mut env, |env| {
        let s = signed_transfer(env, &signed)?;
        Ok(string_array(env, &[s.hash.clone(), s.tx.clone()])?.into_raw())
    })
}

/// `byte[] importSigned(byte[] viewKey, byte[] state, byte[] signed)`.
#[allow(unsafe_code)]
#[no_mangle]
pub extern "system" fn Java_org_veil_sdk_NativeCore_importSigned<'l>(
    mut env: JNIEnv<'l>,
    _: JClass<'l>,
    key: JByteArray<'l>,
    state: JByteArray<'l>,
    signed: JByteArray<'l>,
) -> jbyteArray {
    run(&mut env, |env| {
        let mut w = view_wallet(env, &key, &state)?;
        let s = signed_transfer(env, &signed)?;
        if s.spent.is_empty() {
            return Err(Error::InvalidRequest(
                "the signed transfer spends nothing".into(),
            ));
        }
        w.import_signed(&s)?;
        state_bytes(env, &w)
    })
}

// ----- the node ----------------------------------------------------------

/// `String submitSigned(String api, byte[] signed)`.
#[allow(unsafe_code)]
#[no_mangle]
pub extern "system" fn Java_org_veil_sdk_NativeCore_submitSigned<'l>(
    mut env: JNIEnv<'l>,
    _: JClass<'l>,
    api: JString<'l>,
    signed: JByteArray<'l>,
) -> jstring {
    run(&mut env, |env| {
        let source = HttpSource::new(&string(env, &api)?);
        let s = signed_transfer(env, &signed)?;
        let hash = veil_wallet::submit_signed(&source, &s)?;
        jstr(env, &hash.to_string())
    })
}

/// `String submit(String api, byte[] tx)`.
#[allow(unsafe_code)]
#[no_mangle]
pub extern "system" fn Java_org_veil_sdk_NativeCore_submit<'l>(
    mut env: JNIEnv<'l>,
    _: JClass<'l>,
    api: JString<'l>,
    tx: JByteArray<'l>,
) -> jstring {
    run(&mut env, |env| {
        let source = HttpSource::new(&string(env, &api)?);
        let hash = source
            .submit_bytes(&bytes(env, &tx)?)
            .map_err(SourceError::from)?;
        jstr(env, &hash.to_string())
    })
}

/// `long txStatus(String api, String hash)`.
#[allow(unsafe_code)]
#[no_mangle]
pub extern "system" fn Java_org_veil_sdk_NativeCore_txStatus<'l>(
    mut env: JNIEnv<'l>,
    _: JClass<'l>,
    api: JString<'l>,
    hash: JString<'l>,
) -> jlong {
    run(&mut env, |env| {
        let source = HttpSource::new(&string(env, &api)?);
        let h = veil_codec::hex32(&string(env, &hash)?)
            .map(veil_tx::TxHash)
            .ok_or_else(|| Error::Other("not a transaction hash (64 hex digits)".into()))?;
        match source.tx_status(&h)? {
            TxStatus::Committed(height) => i64_of(height),
            TxStatus::Pending => Ok(-1),
            TxStatus::NotFound => Ok(-2),
        }
    })
}

/// `String[] status(String api)`.
#[allow(unsafe_code)]
#[no_mangle]
pub extern "system" fn Java_org_veil_sdk_NativeCore_status<'l>(
    mut env: JNIEnv<'l>,
    _: JClass<'l>,
    api: JString<'l>,
) -> jobjectArray {
    run(&mut env, |env| {
        let source = HttpSource::new(&string(env, &api)?);
        let s = source.status().map_err(SourceError::from)?;
        Ok(string_array(
            env,
            &[
                s.chain_id,
                s.height.to_string(),
                s.regulator_key.unwrap_or_default(),
            ],
        )?
        .into_raw())
    })
}

// ----- verification ------------------------------------------------------

/// `String verifyTransfer(byte[] tx, byte[] rings, int inputs)`.
#[allow(unsafe_code)]
#[no_mangle]
pub extern "system" fn Java_org_veil_sdk_NativeCore_verifyTransfer<'l>(
    mut env: JNIEnv<'l>,
    _: JClass<'l>,
    tx_in: JByteArray<'l>,
    rings_in: JByteArray<'l>,
    inputs: jint,
) -> jstring {
    run(&mut env, |env| {
        let raw = bytes(env, &tx_in)?;
        let tx = Transaction::decode(&raw)
            .map_err(|e| Error::InvalidTx(format!("the bytes are not a transaction: {e}")))?;
        let Transaction::Transfer(t) = &tx else {
            return Err(Error::InvalidTx("not a transfer".into()));
        };
        let flat = bytes(env, &rings_in)?;
        let inputs = usize::try_from(inputs).unwrap_or(0);
        if inputs != t.inputs.len() || flat.len() % 64 != 0 || flat.len() / 64 % inputs.max(1) != 0
        {
            return Err(Error::InvalidTx(format!(
                "rings: {} inputs of 64-byte members expected, got {} bytes for {inputs}",
                t.inputs.len(),
                flat.len()
            )));
        }
        let per = flat.len() / 64 / inputs.max(1);
        let members = flat
            .chunks_exact(64)
            .map(|m| {
                let key = <[u8; 32]>::try_from(&m[..32])
                    .ok()
                    .and_then(|k| OneTimeKey::from_bytes(&k).ok());
                let commitment = <[u8; 32]>::try_from(&m[32..])
                    .ok()
                    .and_then(|c| Commitment::from_bytes(&c).ok());
                match (key, commitment) {
                    (Some(k), Some(c)) => Ok(RingMember::new(k, c)),
                    _ => Err(Error::InvalidTx(
                        "a ring member is not a valid point pair".into(),
                    )),
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        let rings: Vec<Vec<RingMember>> = members.chunks(per.max(1)).map(<[_]>::to_vec).collect();
        tx.check_stateless(&rings)
            .map_err(|e| Error::InvalidTx(format!("verification failed: {e}")))?;
        let hash = tx.hash().map_err(|e| Error::InvalidTx(e.to_string()))?;
        jstr(env, &hash.to_string())
    })
}
