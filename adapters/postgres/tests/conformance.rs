//! The core's store conformance suite, unchanged, on PostgreSQL: every check on a store in a
//! fresh schema of `MERX_TEST_DATABASE_URL`.

mod support;

merx_core::conformance_tests!(optional || support::fresh_store());
