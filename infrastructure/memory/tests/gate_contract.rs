//! The stock gate contract, run against the in-process gate of the embedded default: it must
//! decide exactly as the Redis gate does in production.

#![allow(missing_docs)]

use std::sync::Arc;

use seckiller_memory::MemoryStockGate;

seckiller_contract::gate_contract!(async { Arc::new(MemoryStockGate::new()) });
