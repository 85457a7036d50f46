//! The in-memory store runs the full store conformance suite.

use merx_core::store::memory::MemoryStore;

merx_core::conformance_tests!(|| async { MemoryStore::default() });
