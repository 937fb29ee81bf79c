//! JSON bodies of the HTTP API as clients and the node read them (the
//! shared `veil-client` types): deserialising never panics, and what
//! deserialises serialises again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veil_client::types::{
    BlocksJson, OutputsJson, Problem, StatusJson, SubmitResponse, TxStatusResponse,
};

fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(data: &[u8]) {
    if let Ok(v) = serde_json::from_slice::<T>(data) {
        serde_json::to_vec(&v).expect("what deserialises serialises");
    }
}

fuzz_target!(|data: &[u8]| {
    round_trip::<Problem>(data);
    round_trip::<StatusJson>(data);
    round_trip::<SubmitResponse>(data);
    round_trip::<TxStatusResponse>(data);
    round_trip::<BlocksJson>(data);
    round_trip::<OutputsJson>(data);
});
