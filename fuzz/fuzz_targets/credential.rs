//! Credential envelopes, presentation requests and presentations, as
//! holders and verifiers receive them in JSON: parsing never panics,
//! whatever the shape, sizes or encodings.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veil_identity::credential::read_envelope;
use veil_identity::presentation::{Presentation, PresentationRequest};
use veil_identity::schema::{Attribute, AttributeKind, CredentialType};

fn kyc() -> CredentialType {
    let a = |name: &str, kind| Attribute {
        name: name.into(),
        kind,
    };
    CredentialType::new(
        "KycCredential",
        vec![
            a("birth_date", AttributeKind::Date),
            a("country", AttributeKind::String),
            a("level", AttributeKind::Integer),
        ],
    )
    .expect("a valid type")
}

fuzz_target!(|data: &[u8]| {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let ty = kyc();
    let type_of = |name: &str| (name == "KycCredential").then(|| ty.clone());
    let _ = read_envelope(&v, &type_of);
    let _ = PresentationRequest::from_json(&v, &type_of);
    let _ = Presentation::from_json(&v, &type_of);
    let _ = veil_identity::vc::verify(&v, &|_, _| None);
});
