//! [`SearchStore`](crate::store::SearchStore): text matching by relevance, filters, sorting and
//! paging.

use std::sync::Arc;

use rust_decimal_macros::dec;

use crate::money::Currency;
use crate::search::{ProductSearch, ProductSort};
use crate::store::{Page, Store};

use super::fixtures::*;
use super::Spawn;

fn names(page: &crate::search::ProductPage) -> Vec<&str> {
    page.items.iter().map(|p| p.name.as_str()).collect()
}

/// Full text over name, description, category names and SKUs; every term must match (as a word
/// prefix); name matches rank first; `status` filters.
pub async fn search_matches_text_by_relevance(store: Arc<dyn Store>, _spawn: Spawn<'_>) {
    search_catalog(&store).await;
    let query = |text: &str| {
        let mut q = ProductSearch::storefront(Currency::Usd);
        q.text = Some(text.to_string());
        q
    };
    let found = store.search_products(&query("cotton")).await.unwrap();
    assert_eq!(
        names(&found),
        vec!["Organic cotton tee", "Ceramic mug"],
        "name match ranks first"
    );
    assert_eq!(found.total, 2);
    let found = store.search_products(&query("organic tee")).await.unwrap();
    assert_eq!(
        names(&found),
        vec!["Organic cotton tee"],
        "every term must match"
    );
    let found = store.search_products(&query("org")).await.unwrap();
    assert_eq!(
        names(&found),
        vec!["Organic cotton tee", "Ceramic mug"],
        "terms match word prefixes"
    );
    let found = store.search_products(&query("mug-001")).await.unwrap();
    assert_eq!(names(&found), vec!["Ceramic mug"], "SKUs are searchable");
    let found = store.search_products(&query("kitchen")).await.unwrap();
    assert_eq!(
        names(&found),
        vec!["Ceramic mug"],
        "category names are searchable"
    );
    let found = store.search_products(&query("jersey")).await.unwrap();
    assert_eq!(
        names(&found),
        vec!["Organic cotton tee"],
        "descriptions are searchable"
    );
    assert_eq!(
        store.search_products(&query("velvet")).await.unwrap().total,
        0
    );
    let mut any_status = query("cotton");
    any_status.status = None;
    let found = store.search_products(&any_status).await.unwrap();
    assert_eq!(found.total, 3);
    assert_eq!(
        names(&found)[..2]
            .iter()
            .copied()
            .collect::<std::collections::BTreeSet<_>>(),
        ["Organic cotton tee", "Secret cotton tee"]
            .into_iter()
            .collect(),
        "both name matches rank above the description match"
    );
    assert_eq!(
        names(&found)[0],
        "Secret cotton tee",
        "newer first within a rank"
    );
}

/// Category (with descendants), price range in a currency, stock, sorting, paging and totals.
pub async fn search_filters_sorts_and_pages(store: Arc<dyn Store>, _spawn: Spawn<'_>) {
    let (apparel, shirts, _) = search_catalog(&store).await;
    let base = ProductSearch::storefront(Currency::Usd);
    let run = |q: ProductSearch| {
        let store = store.clone();
        async move { store.search_products(&q).await.unwrap() }
    };
    let found = run(base.clone()).await;
    assert_eq!(
        names(&found),
        vec![
            "Wool scarf",
            "Ceramic mug",
            "Linen shirt",
            "Organic cotton tee"
        ],
        "no text: newest first, drafts left out"
    );
    let found = run(ProductSearch {
        category_id: Some(apparel.id),
        ..base.clone()
    })
    .await;
    assert_eq!(
        names(&found),
        vec!["Wool scarf", "Linen shirt", "Organic cotton tee"]
    );
    let found = run(ProductSearch {
        category_id: Some(shirts.id),
        ..base.clone()
    })
    .await;
    assert_eq!(names(&found), vec!["Linen shirt", "Organic cotton tee"]);
    let found = run(ProductSearch {
        min_price: Some(dec!(20)),
        max_price: Some(dec!(35.00)),
        ..base.clone()
    })
    .await;
    assert_eq!(
        names(&found),
        vec!["Wool scarf", "Organic cotton tee"],
        "bounds are inclusive"
    );
    let found = run(ProductSearch {
        in_stock: Some(true),
        ..base.clone()
    })
    .await;
    assert_eq!(
        names(&found),
        vec!["Wool scarf", "Ceramic mug", "Organic cotton tee"]
    );
    let found = run(ProductSearch {
        in_stock: Some(false),
        ..base.clone()
    })
    .await;
    assert_eq!(names(&found), vec!["Linen shirt"]);
    let found = run(ProductSearch {
        sort: ProductSort::PriceAsc,
        ..base.clone()
    })
    .await;
    assert_eq!(
        names(&found),
        vec![
            "Ceramic mug",
            "Organic cotton tee",
            "Wool scarf",
            "Linen shirt"
        ]
    );
    let found = run(ProductSearch {
        sort: ProductSort::PriceDesc,
        ..base.clone()
    })
    .await;
    assert_eq!(names(&found)[0], "Linen shirt");
    let found = run(ProductSearch {
        sort: ProductSort::NameAsc,
        ..base.clone()
    })
    .await;
    assert_eq!(
        names(&found),
        vec![
            "Ceramic mug",
            "Linen shirt",
            "Organic cotton tee",
            "Wool scarf"
        ]
    );
    let found = run(ProductSearch {
        sort: ProductSort::NameDesc,
        ..base.clone()
    })
    .await;
    assert_eq!(names(&found)[0], "Wool scarf");
    let found = run(ProductSearch {
        sort: ProductSort::PriceAsc,
        page: Page {
            offset: 1,
            limit: 2,
        },
        ..base.clone()
    })
    .await;
    assert_eq!(found.total, 4, "the total counts every match before paging");
    assert_eq!(names(&found), vec!["Organic cotton tee", "Wool scarf"]);
    let eur = ProductSearch {
        currency: Currency::Eur,
        sort: ProductSort::PriceAsc,
        ..base.clone()
    };
    let found = run(eur).await;
    assert_eq!(
        names(&found),
        vec!["Organic cotton tee"],
        "price sorts need a price in the currency"
    );
    let found = run(ProductSearch {
        currency: Currency::Eur,
        ..base.clone()
    })
    .await;
    assert_eq!(
        found.total, 4,
        "without price filter or sort the currency does not filter"
    );
}
