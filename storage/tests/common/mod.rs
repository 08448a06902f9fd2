//! Helpers shared by the storage tests.
#![allow(dead_code)]

use leadline_storage::{NewEvent, SledLog, SledOptions};
use uuid::Uuid;

pub fn event(id: u128, payload: &[u8]) -> NewEvent {
    NewEvent {
        id: Uuid::from_u128(id),
        event_type: "TestEvent".into(),
        schema_version: 1,
        actor: "system:test".into(),
        correlation_id: Some(Uuid::from_u128(id ^ 0xC0)),
        causation_id: None,
        payload: payload.to_vec(),
    }
}

pub fn open_sled(dir: &std::path::Path) -> SledLog {
    SledLog::open(dir, SledOptions::default()).expect("open log")
}
