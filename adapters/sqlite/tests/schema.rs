//! The schema protects the data on its own, whatever client writes to the file: stock cannot go
//! negative without backorders, emails are unique whatever their case, order quantities are
//! positive, money is stored as exact text, and the migrations are recorded.

use merx_core::catalog::{Product, Variant};
use merx_core::money::Currency;
use merx_core::store::{CatalogStore, UserStore};
use merx_core::user::{Role, User, UserStatus};
use merx_sqlite::SqliteStore;
use rust_decimal_macros::dec;

fn user(email: &str) -> User {
    let at = chrono::DateTime::from_timestamp(1_767_225_600, 0).unwrap();
    User {
        id: merx_core::ids::UserId::new(),
        email: email.into(),
        name: "Ada".into(),
        password_hash: "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA".into(),
        roles: vec![Role::Customer],
        status: UserStatus::Active,
        created_at: at,
        updated_at: at,
        deleted_at: None,
        session_generation: 0,
    }
}

#[tokio::test]
async fn constraints_hold_for_any_client_of_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("merx.db");
    let store = SqliteStore::open(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    assert_eq!(
        store.schema_version().await.unwrap(),
        merx_sqlite::migrations::latest_version()
    );
    let mut variant = Variant::new("TEE-1", Currency::Usd, dec!(19.99));
    variant.stock = dec!(3);
    let product = store
        .put_product(Product::new("Tee", vec![variant]))
        .await
        .unwrap();
    store.create_user(user("ada@example.com")).await.unwrap();
    drop(store);

    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    let variant_id = product.variants[0].id.to_string();
    assert!(
        conn.execute(
            "UPDATE variants SET stock_micros = -1 WHERE id = ?1",
            [&variant_id]
        )
        .is_err(),
        "negative stock without backorders"
    );
    conn.execute(
        "UPDATE variants SET allow_backorder = 1, stock_micros = -1 WHERE id = ?1",
        [&variant_id],
    )
    .expect("negative stock with backorders");
    assert!(
        conn.execute(
            "INSERT INTO users (id, email, email_lower, name, password_hash, status, created_at,
                                updated_at)
             VALUES ('x', 'ADA@example.com', 'ada@example.com', 'A', 'h', 'active', 't', 't')",
            [],
        )
        .is_err(),
        "an email differing only in case"
    );
    conn.execute(
        "INSERT INTO orders (id, currency, status, fulfillment_status, payment, prices_include_tax,
             promotions, total, totals, history, created_at, updated_at, version)
         VALUES ('o', 'USD', 'pending', 'unfulfilled', '{}', 0, '[]', '0', '{}', '[]', 't', 't', 1)",
        [],
    )
    .unwrap();
    for quantity in ["0", "-1", "abc"] {
        assert!(
            conn.execute(
                "INSERT INTO order_items (id, order_id, position, product_id, variant_id, sku,
                     name, quantity, unit_price, subtotal, discount_total, tax_total, total)
                 VALUES ('i', 'o', 0, 'p', 'v', 's', 'n', ?1, '1', '1', '0', '0', '1')",
                [quantity],
            )
            .is_err(),
            "quantity {quantity}"
        );
    }
    assert!(
        conn.execute("UPDATE orders SET status = 'lost' WHERE id = 'o'", [])
            .is_err(),
        "an unknown order status"
    );
    let (amount, kind): (String, String) = conn
        .query_row(
            "SELECT amount, typeof(amount) FROM variant_prices WHERE variant_id = ?1",
            [&variant_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((amount.as_str(), kind.as_str()), ("19.99", "text"));
    let reals: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM pragma_table_list t, pragma_table_info(t.name) c
             WHERE t.schema = 'main' AND c.type = 'REAL'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(reals, 0, "no REAL column anywhere");
}
