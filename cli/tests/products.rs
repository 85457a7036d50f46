//! `merx products list|show|create|archive|import|export`.

mod common;

use common::Shop;
use predicates::prelude::*;

#[test]
fn create_show_list_and_archive() {
    let shop = Shop::new();
    let created = shop.product("Canvas tote", "TOTE-1", "19.90", "12");
    assert_eq!(created["name"], "Canvas tote");
    assert_eq!(created["slug"], "canvas-tote");
    assert_eq!(created["status"], "active");
    assert_eq!(created["variants"][0]["prices"]["USD"], "19.90");
    assert_eq!(created["variants"][0]["stock"], "12");
    let id = created["id"].as_str().unwrap();

    assert_eq!(shop.json(&["products", "show", id]), created);
    shop.merx()
        .args(["products", "show", id])
        .assert()
        .success()
        .stdout(predicate::str::starts_with(format!("Canvas tote ({id})\n")))
        .stdout(predicate::str::contains("TOTE-1"))
        .stdout(predicate::str::contains("19.90 USD"));
    shop.merx()
        .args(["products", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains(id))
        .stdout(predicate::str::contains("Canvas tote"));

    let archived = shop.json(&["products", "archive", id]);
    assert_eq!(archived["status"], "archived");
    assert_eq!(
        shop.json(&["products", "list", "--status", "active"])["data"].take(),
        serde_json::json!([])
    );
    let listed = shop.json(&["products", "list", "--status", "archived"])["data"].take();
    assert_eq!(listed[0]["id"], id);
}

#[test]
fn bad_product_input_is_reported() {
    let shop = Shop::new();
    shop.merx()
        .args(["products", "show", "abc"])
        .assert()
        .code(2)
        .stderr("error: product: `abc` is not a valid product id\n");
    shop.merx()
        .args(["products", "show", "00000000-0000-0000-0000-000000000001"])
        .assert()
        .code(2)
        .stderr("error: product `00000000-0000-0000-0000-000000000001` not found\n");
    shop.merx()
        .args([
            "products",
            "archive",
            "00000000-0000-0000-0000-000000000001",
        ])
        .assert()
        .code(2)
        .stderr("error: product `00000000-0000-0000-0000-000000000001` not found\n");
    shop.merx()
        .args([
            "products", "create", "--name", "Tote", "--sku", "T-1", "--price", "cheap",
        ])
        .assert()
        .code(2)
        .stderr("error: price `cheap` is not a number\n");
    shop.merx()
        .args([
            "products",
            "create",
            "--name",
            "Tote",
            "--sku",
            "T-1",
            "--price",
            "1",
            "--currency",
            "XYZ",
        ])
        .assert()
        .code(2)
        .stderr("error: unknown currency `XYZ`\n");
    shop.product("Tote", "T-1", "1", "0");
    shop.merx()
        .args([
            "products",
            "create",
            "--name",
            "Other tote",
            "--sku",
            "T-1",
            "--price",
            "2",
        ])
        .assert()
        .code(1)
        .stderr("error: variant conflict: SKU `T-1` is taken\n");
}

const CSV: &str = "\
name,slug,description,status,sku,title,currency,price,other_prices,stock,weight,tax_class,allow_backorder
Organic tee,organic-tee,Soft cotton,active,TEE-S,S,USD,19.99,EUR 18.50,10,0.2,standard,false
Organic tee,organic-tee,Soft cotton,active,TEE-M,M,USD,19.99,,5,0.2,standard,false
Latte bowl,,Holds coffee,draft,BOWL-1,,USD,12.50,,3,,reduced,yes
";

#[test]
fn csv_import_then_export_round_trips() {
    let shop = Shop::new();
    let file = shop.write("products.csv", CSV);
    shop.merx()
        .args(["products", "import"])
        .arg(&file)
        .assert()
        .success()
        .stdout("imported 2 products (3 variants)\n")
        .stderr("");
    let products = shop.json(&["products", "list"])["data"].take();
    let tee = &products[0];
    assert_eq!(tee["name"], "Organic tee");
    assert_eq!(tee["status"], "active");
    assert_eq!(tee["variants"].as_array().unwrap().len(), 2);
    assert_eq!(tee["variants"][0]["prices"]["EUR"], "18.50");
    assert_eq!(products[1]["slug"], "latte-bowl");
    assert_eq!(products[1]["variants"][0]["allowBackorder"], true);
    assert_eq!(products[1]["variants"][0]["taxClass"], "reduced");

    shop.merx()
        .args(["products", "export", "out.csv"])
        .assert()
        .success()
        .stdout("exported 2 products (3 variants) to out.csv\n");
    let exported = std::fs::read_to_string(shop.path("out.csv")).unwrap();
    assert_eq!(
        exported.lines().next().unwrap(),
        CSV.lines().next().unwrap()
    );
    assert_eq!(
        exported.lines().nth(1).unwrap(),
        // Prices come in currency order: the first in `currency`/`price`, the rest in `other_prices`.
        "Organic tee,organic-tee,Soft cotton,active,TEE-S,S,EUR,18.50,USD 19.99,10,0.2,standard,false"
    );

    // Into a fresh store, the export gives the same catalog back.
    let other = Shop::new();
    other
        .merx()
        .args(["products", "import"])
        .arg(shop.path("out.csv"))
        .assert()
        .success()
        .stdout("imported 2 products (3 variants)\n");
    let again = other.json(&["products", "list"])["data"].take();
    for (a, b) in products
        .as_array()
        .unwrap()
        .iter()
        .zip(again.as_array().unwrap())
    {
        assert_eq!(a["slug"], b["slug"]);
        assert_eq!(
            a["variants"].as_array().unwrap().len(),
            b["variants"].as_array().unwrap().len()
        );
    }
}

#[test]
fn json_import_then_export_round_trips() {
    let shop = Shop::new();
    shop.product("Canvas tote", "TOTE-1", "19.90", "12");
    shop.product("Espresso cup", "CUP-1", "8", "40");
    shop.merx()
        .args(["products", "export", "catalog.json"])
        .assert()
        .success();
    let other = Shop::new();
    other
        .merx()
        .args(["products", "import"])
        .arg(shop.path("catalog.json"))
        .assert()
        .success()
        .stdout("imported 2 products (2 variants)\n");
    let names: Vec<String> = other.json(&["products", "list"])["data"]
        .take()
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["Canvas tote", "Espresso cup"]);
    // Stdout export defaults to JSON; --format csv switches.
    let stdout = shop
        .merx()
        .args(["products", "export", "-", "--format", "csv"])
        .output()
        .unwrap();
    assert!(String::from_utf8(stdout.stdout)
        .unwrap()
        .contains("Espresso cup,espresso-cup"));
}

const BAD_CSV: &str = "\
name,sku,price,stock
Good one,G-1,10,5
No price,N-1,,1
Bad stock,B-1,3,lots
Short row,S-1
Good two,G-2,4.50,1
Duplicate,G-1,2,2
";

#[test]
fn bad_csv_rows_are_reported_by_line_and_skipped() {
    let shop = Shop::new();
    let file = shop.write("bad.csv", BAD_CSV);
    shop.merx()
        .args(["products", "import"])
        .arg(&file)
        .assert()
        .code(2)
        .stdout("imported 2 products (2 variants)\n")
        .stderr(format!(
            "`{path}` line 3: price is empty\n\
             `{path}` line 4: stock `lots` is not a number\n\
             `{path}` line 5: expected 4 fields, found 2\n\
             `{path}` line 7: SKU `G-1` appears twice in the file\n\
             error: 4 bad rows were skipped\n",
            path = file.display()
        ));
    let skus: Vec<String> = shop.json(&["products", "list"])["data"]
        .take()
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["variants"][0]["sku"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(skus, ["G-1", "G-2"]);

    // Importing the same file again: the good rows now collide with what is stored.
    shop.merx()
        .args(["--json", "products", "import"])
        .arg(&file)
        .assert()
        .code(2)
        .stdout(predicate::str::contains("\"importedProducts\": 0"))
        .stderr(predicate::str::contains(format!(
            "`{}` line 2: a product with slug `good-one` already exists\n",
            file.display()
        )));
}

#[test]
fn strict_import_writes_nothing_when_a_row_is_bad() {
    let shop = Shop::new();
    let file = shop.write("bad.csv", BAD_CSV);
    shop.merx()
        .args(["products", "import", "--strict"])
        .arg(&file)
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::ends_with(
            "error: nothing imported: 4 bad rows (--strict)\n",
        ));
    assert_eq!(
        shop.json(&["products", "list"])["data"].take(),
        serde_json::json!([])
    );
    let good = shop.write("good.csv", "name,sku,price\nFine,F-1,1\n");
    shop.merx()
        .args(["products", "import", "--strict"])
        .arg(&good)
        .assert()
        .success()
        .stdout("imported 1 product (1 variant)\n");
}

#[test]
fn a_bad_variant_row_skips_its_whole_product() {
    let shop = Shop::new();
    let file = shop.write(
        "tees.csv",
        "name,slug,sku,price\nTee,tee,TEE-S,10\nTee,tee,TEE-M,ten\nMug,,MUG-1,5\n",
    );
    shop.merx()
        .args(["products", "import"])
        .arg(&file)
        .assert()
        .code(2)
        .stdout("imported 1 product (1 variant)\n")
        .stderr(format!(
            "`{p}` line 2: skipped: another row of product `tee` is bad\n\
             `{p}` line 3: price `ten` is not a number\n\
             error: 2 bad rows were skipped\n",
            p = file.display()
        ));
}

#[test]
fn bad_json_elements_are_reported_by_line() {
    let shop = Shop::new();
    let file = shop.write(
        "catalog.json",
        "[\n  {\"name\": \"Cup\", \"variants\": [{\"sku\": \"C-1\", \"prices\": {\"USD\": \"3\"}}]},\n  {\"name\": \"No variants\"},\n  {\"name\": \"Empty\", \"variants\": []}\n]\n",
    );
    shop.merx()
        .args(["products", "import"])
        .arg(&file)
        .assert()
        .code(2)
        .stdout("imported 1 product (1 variant)\n")
        .stderr(predicate::str::contains(format!(
            "`{}` line 3: not a product: missing field `variants`",
            file.display()
        )))
        .stderr(predicate::str::contains(format!(
            "`{}` line 4: ",
            file.display()
        )))
        .stderr(predicate::str::ends_with(
            "error: 2 bad rows were skipped\n",
        ));
}

#[test]
fn export_to_an_unwritable_place_is_a_runtime_failure() {
    let shop = Shop::new();
    shop.merx()
        .args(["products", "export", "no/such/dir/out.csv"])
        .assert()
        .code(1)
        .stderr(
            "error: cannot write `no/such/dir/out.csv`: No such file or directory (os error 2)\n",
        );
}

#[test]
fn import_file_errors() {
    let shop = Shop::new();
    shop.merx()
        .args(["products", "import", "missing.csv"])
        .assert()
        .code(2)
        .stderr("error: cannot read `missing.csv`: No such file or directory (os error 2)\n");
    shop.write("products.txt", "name,sku,price\n");
    shop.merx()
        .args(["products", "import", "products.txt"])
        .assert()
        .code(2)
        .stderr("error: cannot tell the format of `products.txt`: use a .csv or .json file\n");
    shop.write("cols.csv", "name,sku,cost\nA,B,1\n");
    shop.merx()
        .args(["products", "import", "cols.csv"])
        .assert()
        .code(2)
        .stderr(
            "error: `cols.csv` line 1: unknown column `cost` (known: name, slug, description, \
             status, sku, title, currency, price, other_prices, stock, weight, tax_class, \
             allow_backorder)\n",
        );
    shop.write("obj.json", "{\"name\": \"x\"}");
    shop.merx()
        .args(["products", "import", "obj.json"])
        .assert()
        .code(2)
        .stderr("error: `obj.json`: expected a JSON array of products\n");
}

#[test]
fn products_update_changes_only_the_given_fields() {
    let shop = Shop::new();
    let created = shop.product("Canvas tote", "TOTE-1", "19.90", "10");
    let id = created["id"].as_str().unwrap().to_string();
    let updated = shop.json(&[
        "products",
        "update",
        &id,
        "--name",
        "Canvas tote bag",
        "--status",
        "draft",
        "--price",
        "24.90",
        "--description",
        "Heavy canvas.",
    ]);
    assert_eq!(updated["name"], "Canvas tote bag");
    assert_eq!(updated["status"], "draft");
    assert_eq!(updated["description"], "Heavy canvas.");
    assert_eq!(updated["slug"], created["slug"], "the slug is kept");
    assert_eq!(
        updated["variants"][0]["prices"],
        serde_json::json!({"USD": "24.90"})
    );
    assert_eq!(updated["variants"][0]["stock"], "10", "stock is kept");
    let eur = shop.json(&[
        "products",
        "update",
        &id,
        "--price",
        "22.00",
        "--currency",
        "EUR",
    ]);
    assert_eq!(
        eur["variants"][0]["prices"],
        serde_json::json!({"EUR": "22.00", "USD": "24.90"})
    );

    // The whole product from a file, as `products show --json` prints it.
    let mut whole = eur.clone();
    whole["name"] = serde_json::json!("Tote");
    whole["variants"][0]["stock"] = serde_json::json!("999");
    let path = shop.write("tote.json", &whole.to_string());
    let replaced = shop.json(&["products", "update", &id, "--file", path.to_str().unwrap()]);
    assert_eq!(replaced["name"], "Tote");
    assert_eq!(
        replaced["variants"][0]["stock"], "10",
        "stock changes only through `merx stock` and checkout"
    );

    let fails = |args: &[&str], code: i32, message: &str| {
        shop.merx()
            .args(args)
            .assert()
            .code(code)
            .stderr(format!("error: {message}\n"));
    };
    fails(
        &["products", "update", &id],
        2,
        "nothing to update: give --file or at least one field to change",
    );
    fails(
        &["products", "update", &id, "--price", "1.234"],
        2,
        "prices: price 1.234 of `TOTE-1` has more than 2 decimals for USD",
    );
    fails(
        &["products", "update", &id, "--price", "cheap"],
        2,
        "price `cheap` is not a number",
    );
    fails(
        &["products", "update", &id, "--currency", "EUR"],
        2,
        "the following required arguments were not provided: --price <PRICE> (see `merx --help`)",
    );
    fails(
        &[
            "products",
            "update",
            "00000000-0000-0000-0000-000000000001",
            "--name",
            "X",
        ],
        2,
        "product `00000000-0000-0000-0000-000000000001` not found",
    );
    fails(
        &["products", "update", &id, "--file", "missing.json"],
        2,
        "cannot read `missing.json`: No such file or directory (os error 2)",
    );
    fails(
        &[
            "products",
            "update",
            &id,
            "--file",
            path.to_str().unwrap(),
            "--name",
            "X",
        ],
        2,
        "the argument '--file <FILE>' cannot be used with '--name <NAME>' (see `merx --help`)",
    );
    let other = shop.product("Mug", "MUG-1", "9.00", "5");
    fails(
        &[
            "products",
            "update",
            &id,
            "--slug",
            other["slug"].as_str().unwrap(),
        ],
        1,
        "product conflict: slug `mug` is taken",
    );
    assert_eq!(
        shop.json(&["products", "show", &id]),
        replaced,
        "refused updates change nothing"
    );
}
