//! Stations, ID tokens, transactions and their lists through the API: the
//! rules (validation, conflicts, all-or-nothing imports), pagination that
//! walks every item exactly once, and JSON errors everywhere.

use serde_json::{Value, json};

use domain::transaction::V16Start;
use domain::{
    AuthorizationStatus, Change, ChangeSet, EvseConnector, IdToken, Scope, Station, StationId, Storage, Timestamp,
    Transaction,
};
use ocpp::OcppVersion;
use sim::{ConnectorStatus, StopReason};

use crate::harness::{ApiClient, TestServer};
use crate::{T0, station};

#[tokio::test]
async fn stations_are_registered_changed_shown_and_removed() {
    let server = TestServer::start().await;
    let admin = server.client(Scope::Admin).await;

    let saved = admin.post("/stations", json!({"id": "REG-1", "generate_password": true})).await.expect(201);
    let password = saved["generated_password"].as_str().expect("the generated password is answered once").to_owned();
    assert_eq!(password.len(), 24);
    assert_eq!((saved["station"]["registration"].as_str(), saved["station"]["password_set"].as_bool()), (Some("Accepted"), Some(true)));
    admin.post("/stations", json!({"id": "REG-1", "password": "another-long-password"})).await.expect_error(409, "station_exists");
    let message = admin.post("/stations", json!({"id": "bad:id", "generate_password": true})).await.expect_error(422, "invalid_request");
    assert!(message.contains("station id contains ':'"), "{message}");
    let message = admin.post("/stations", json!({"id": "REG-2", "password": "short"})).await.expect_error(422, "invalid_request");
    assert!(message.contains("16 to 40"), "{message}");
    admin.post("/stations", json!({"id": "REG-2"})).await.expect_error(422, "invalid_request");
    let pending = admin
        .post("/stations", json!({"id": "REG-2", "password": "a-long-enough-password", "registration": "Pending"}))
        .await
        .expect(201);
    assert!(pending["generated_password"].is_null() && pending["station"]["registration"] == "Pending");

    // the generated password works for the station
    let config = sim::StationConfig::new(server.url(), "REG-1", OcppVersion::V201).password(password);
    let mut cp = sim::Station::new(config);
    cp.connect().await.expect("the station connects with the generated password");
    cp.boot().await.unwrap();
    cp.status(1, ConnectorStatus::Available).await.unwrap();
    let detail = admin.get("/stations/REG-1").await.expect(200);
    assert_eq!((detail["connected"].as_bool(), detail["protocol"].as_str()), (Some(true), Some("2.0.1")));
    assert_eq!((detail["boot"]["vendor"].as_str(), detail["boot"]["model"].as_str()), (Some("Gridlet"), Some("Simulator")));
    assert_eq!(detail["connectors"][0]["status"], "Available");
    assert!(detail["last_seen"].is_string() && detail["booted_at"].is_string());

    let changed = admin.patch("/stations/REG-2", json!({"registration": "accepted"})).await.expect(200);
    assert_eq!(changed["station"]["registration"], "Accepted");
    admin.patch("/stations/REG-2", json!({"registration": "Maybe"})).await.expect_error(422, "invalid_request");
    admin.patch("/stations/REG-2", json!({"password": "x", "generate_password": true})).await.expect_error(422, "invalid_request");
    let rekeyed = admin.patch("/stations/REG-2", json!({"generate_password": true})).await.expect(200);
    assert!(rekeyed["generated_password"].is_string());
    admin.patch("/stations/NOPE", json!({})).await.expect_error(404, "station_not_found");
    admin.delete("/stations/REG-2").await.expect(204);
    admin.get("/stations/REG-2").await.expect_error(404, "station_not_found");
    admin.delete("/stations/REG-2").await.expect_error(404, "station_not_found");
    let operator = server.client(Scope::Operate).await;
    operator.post("/stations", json!({"id": "REG-3", "generate_password": true})).await.expect_error(403, "forbidden");
    server.shutdown().await;
}

#[tokio::test]
async fn id_tokens_are_managed_one_by_one() {
    let server = TestServer::start().await;
    let operator = server.client(Scope::Operate).await;
    let created = operator
        .post("/id-tokens", json!({"value": "TOK-1", "type": "iso14443", "expires_at": "2099-01-01T00:00:00Z", "group_id": "FLEET"}))
        .await
        .expect(201);
    assert_eq!(
        created,
        json!({"value": "TOK-1", "type": "ISO14443", "status": "Accepted", "expires_at": "2099-01-01T00:00:00.000Z",
               "group_id": "FLEET", "concurrent_transactions": false})
    );
    operator.post("/id-tokens", json!({"value": "tok-1"})).await.expect_error(409, "id_token_exists");
    assert_eq!(operator.get("/id-tokens/tok-1").await.expect(200)["value"], "TOK-1", "tokens compare ignoring case");
    assert_eq!(operator.put("/id-tokens/TOK-2", json!({})).await.expect(201)["status"], "Accepted");
    assert_eq!(operator.put("/id-tokens/TOK-2", json!({"status": "Blocked"})).await.expect(200)["status"], "Blocked");
    let answer = operator.put("/id-tokens/TOK-2", json!({"status": "Maybe"})).await;
    answer.expect_error(422, "invalid_request");
    assert_eq!(answer.body["error"]["details"][0]["field"], "status");
    operator.post("/id-tokens", json!({"value": "has space"})).await.expect_error(422, "invalid_request");
    operator.delete("/id-tokens/TOK-2").await.expect(204);
    operator.get("/id-tokens/TOK-2").await.expect_error(404, "id_token_not_found");
    let reader = operator.with_key(Some(&server.api_key(Scope::Read).await));
    reader.put("/id-tokens/TOK-3", json!({})).await.expect_error(403, "forbidden");
    assert_eq!(reader.get("/id-tokens").await.expect(200)["items"].as_array().unwrap().len(), 1);
    server.shutdown().await;
}

#[tokio::test]
async fn bulk_imports_are_all_or_nothing() {
    let server = TestServer::start().await;
    let operator = server.client(Scope::Operate).await;
    let rows = json!([
        {"value": "IMP-1"},
        {"value": "IMP 2"},
        {"value": "IMP-3", "type": "KeyCode", "status": "Blocked"},
        {"value": "IMP-4", "expires_at": "soon", "status": "Maybe"},
        {"value": "imp-1"}
    ]);
    let answer = operator.post("/id-tokens/import", rows).await;
    answer.expect_error(422, "invalid_import");
    let bad: Vec<(u64, String)> = answer.body["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["row"].as_u64().unwrap(), d["field"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(bad, [(2, "value".into()), (4, "status".into()), (4, "expires_at".into()), (5, "value".into())]);
    assert!(server.store.id_tokens(None, 10).unwrap().is_empty(), "nothing was imported");

    let csv = "value,type,status,expires_at,group_id,concurrent_transactions\nCSV-1,ISO14443,,,FLEET,true\nCSV-2,,Blocked,2099-01-01T00:00:00Z,,\n";
    let imported = operator.raw("POST", "/id-tokens/import", "text/csv", csv).await.expect(200);
    assert_eq!(imported, json!({"imported": 2, "created": 2, "replaced": 0}));
    let token = operator.get("/id-tokens/CSV-1").await.expect(200);
    assert_eq!((token["group_id"].as_str(), token["concurrent_transactions"].as_bool()), (Some("FLEET"), Some(true)));
    let again = operator.post("/id-tokens/import", json!([{"value": "csv-2"}, {"value": "JSON-3"}])).await.expect(200);
    assert_eq!(again, json!({"imported": 2, "created": 1, "replaced": 1}));
    let bad_csv = "value,status\nCSV-9,\nCSV-10,Maybe\n";
    let answer = operator.raw("POST", "/id-tokens/import", "text/csv", bad_csv).await;
    answer.expect_error(422, "invalid_import");
    assert_eq!(answer.body["error"]["details"][0]["row"], 2);
    assert!(server.store.id_token("CSV-9").unwrap().is_none());
    operator.raw("POST", "/id-tokens/import", "text/csv", "token\nX\n").await.expect_error(422, "invalid_request");
    operator.raw("POST", "/id-tokens/import", "text/plain", "X").await.expect_error(415, "unsupported_media_type");
    server.shutdown().await;
}

/// Walks `path` with pages of `limit` and checks every item of `expected` comes exactly once, in order.
async fn walk(client: &ApiClient, path: &str, limit: usize, key: &str, expected: &[String]) {
    let items = client.all(path, limit).await;
    let keys: Vec<String> = items.iter().map(|item| item[key].to_string().trim_matches('"').to_owned()).collect();
    assert_eq!(keys, expected, "{path} with limit {limit}");
}

#[tokio::test]
async fn pagination_walks_every_item_exactly_once() {
    let server = TestServer::start().await;
    let reader = server.client(Scope::Read).await;
    let now = server::now();
    let mut changes = ChangeSet::new();
    let mut station_ids = Vec::new();
    for n in 0..23 {
        let id = StationId::parse(&format!("PAGE-{n:02}")).unwrap();
        station_ids.push(id.to_string());
        changes.push(Change::PutStation(Station::registered(id, None, now)));
    }
    let mut token_values = Vec::new();
    for n in 0..31 {
        let value = format!("PT-{n:03}");
        token_values.push(value.clone());
        changes.push(Change::PutIdToken(domain::IdTokenRecord::accepted(&value).unwrap()));
    }
    let mut numbers = Vec::new();
    for n in 0..12 {
        let number = server.store.next_transaction_number().unwrap();
        numbers.push(number.to_string());
        let station = StationId::parse(if n % 2 == 0 { "PAGE-00" } else { "PAGE-01" }).unwrap();
        let start = V16Start {
            location: EvseConnector::from_v16(1),
            id_token: IdToken::untyped(format!("PT-{n:03}")),
            meter_start_wh: 0,
            started_at: Timestamp::from_unix_millis(T0 + n * 60_000),
            reservation_id: None,
        };
        changes.push(Change::PutTransaction(Transaction::start_v16(number, station, &start, AuthorizationStatus::Accepted, None, now)));
    }
    server.apply(changes).await;

    for limit in [1, 5, 23, 500] {
        walk(&reader, "/stations", limit, "id", &station_ids).await;
    }
    walk(&reader, "/id-tokens", 7, "value", &token_values).await;
    walk(&reader, "/transactions", 5, "number", &numbers).await;
    let newest_first: Vec<String> = numbers.iter().rev().cloned().collect();
    walk(&reader, "/transactions?order=desc", 5, "number", &newest_first).await;
    let even: Vec<String> = numbers.iter().step_by(2).cloned().collect();
    walk(&reader, "/transactions?station=PAGE-00", 4, "number", &even).await;
    walk(&reader, "/transactions?token=pt-003", 4, "number", &numbers[3..4]).await;
    let late = Timestamp::from_unix_millis(T0 + 6 * 60_000).to_string();
    walk(&reader, &format!("/transactions?from={late}"), 4, "number", &numbers[6..]).await;
    walk(&reader, &format!("/transactions?to={late}&state=active"), 4, "number", &numbers[..6]).await;
    walk(&reader, "/transactions?state=ended", 4, "number", &[]).await;

    // cursors belong to their list and their order
    let first = reader.get("/stations?limit=2").await.expect(200);
    let cursor = first["next_cursor"].as_str().unwrap();
    reader.get(&format!("/id-tokens?cursor={cursor}")).await.expect_error(400, "invalid_cursor");
    let asc = reader.get("/transactions?limit=2").await.expect(200);
    let asc_cursor = asc["next_cursor"].as_str().unwrap();
    reader.get(&format!("/transactions?order=desc&cursor={asc_cursor}")).await.expect_error(400, "invalid_cursor");
    reader.get("/stations?cursor=not-a-cursor!").await.expect_error(400, "invalid_cursor");
    reader.get("/stations?limit=0").await.expect_error(422, "invalid_request");
    reader.get("/stations?limit=501").await.expect_error(422, "invalid_request");
    reader.get("/transactions?state=paused").await.expect_error(422, "invalid_request");
    reader.get("/transactions?order=sideways").await.expect_error(422, "invalid_request");
    server.shutdown().await;
}

#[tokio::test]
async fn transactions_are_shown_with_meter_samples_and_events() {
    for version in [OcppVersion::V16, OcppVersion::V201] {
        let server = TestServer::start().await;
        server.add_token("TX-TAG").await;
        let id = format!("TX-{}", version.subprotocol());
        let (mut cp, clock) = station(&server, &id, version).await;
        cp.boot().await.unwrap();
        let handle = cp.start_transaction(1, "TX-TAG").await.unwrap();
        clock.advance(600_000);
        cp.meter_values(handle).await.unwrap();
        clock.advance(600_000);
        cp.stop_transaction(handle, StopReason::EvDisconnected).await.unwrap();

        let reader = server.client(Scope::Read).await;
        let list = reader.get(&format!("/transactions?station={id}&token=tx-tag")).await.expect(200);
        let items = list["items"].as_array().unwrap();
        assert_eq!(items.len(), 1);
        let number = items[0]["number"].as_u64().unwrap();
        let detail = reader.get(&format!("/transactions/{number}")).await.expect(200);
        let tx = &detail["transaction"];
        assert_eq!((tx["state"].as_str(), tx["stop_reason"].as_str()), (Some("Ended"), Some("EVDisconnected")));
        assert_eq!(tx["energy_wh"].as_f64(), Some((11_000.0_f64 * 20.0 / 60.0).floor()));
        assert_eq!(tx["id_token"]["value"], "TX-TAG");
        let samples = detail["meter_samples"].as_array().unwrap();
        assert!(samples.iter().any(|s| s["measurand"] == "Energy.Active.Import.Register" && s["unit"] == "Wh"), "{samples:?}");
        let events = detail["events"].as_array().unwrap();
        match version {
            OcppVersion::V16 => assert!(events.is_empty()),
            OcppVersion::V201 => {
                let types: Vec<&str> = events.iter().filter_map(|e| e["event_type"].as_str()).collect();
                assert_eq!(types, ["Started", "Updated", "Ended"]);
            }
        }
        reader.get("/transactions/999999").await.expect_error(404, "transaction_not_found");
        server.shutdown().await;
    }
}

#[tokio::test]
async fn errors_are_json_with_a_stable_code_everywhere() {
    let server = TestServer::start().await;
    let admin = server.client(Scope::Admin).await;
    let answer = admin.raw("POST", "/stations", "application/json", "{\"id\": ").await;
    answer.expect_error(400, "invalid_json");
    let answer = admin.post("/stations", json!({"id": 5})).await;
    answer.expect_error(422, "invalid_request");
    assert_eq!(answer.body["error"]["details"][0]["field"], "id");
    let answer = admin.post("/stations", json!({"id": "X-1", "pasword": "a-long-enough-password"})).await;
    assert!(answer.expect_error(422, "invalid_request").contains("unknown field `pasword`"));
    admin.raw("POST", "/stations", "text/plain", "id=X").await.expect_error(415, "unsupported_media_type");
    admin.get("/stations/NOBODY").await.expect_error(404, "station_not_found");
    admin.get("/stations/NOBODY/log").await.expect_error(404, "station_not_found");
    admin.get("/stations?colour=red").await.expect_error(422, "invalid_request");
    admin.get("/transactions/abc").await.expect_error(422, "invalid_request");
    admin.get("/reservations/abc").await.expect_error(422, "invalid_request");
    admin.get("/reservations/12345").await.expect_error(404, "reservation_not_found");
    admin.get("/nothing-here").await.expect_error(404, "route_not_found");
    admin.request("PUT", "/stations", None).await.expect_error(405, "method_not_allowed");
    let huge: Value = json!({"id": "X".repeat(3 * 1024 * 1024)});
    admin.post("/stations", huge).await.expect_error(413, "payload_too_large");
    server.shutdown().await;
}

/// What the schema-driven fuzzer (`fuzz`) found, kept as plain cases.
#[tokio::test]
async fn requests_are_taken_exactly_as_the_document_describes_them() {
    let server = TestServer::start().await;
    let admin = server.client(Scope::Admin).await;
    // a documented body is required: no body is no token
    admin.request("PUT", "/id-tokens/NO-BODY", None).await.expect_error(400, "invalid_json");
    admin.get("/id-tokens/NO-BODY").await.expect_error(404, "id_token_not_found");
    admin.put("/id-tokens/WITH-BODY", json!({})).await.expect(201);
    // a body is an object, not an array of its fields
    admin.request("PUT", "/id-tokens/ARRAY", Some(&json!([null, null]))).await.expect_error(422, "invalid_request");
    admin.request("PATCH", "/stations/NOBODY", Some(&json!([null]))).await.expect_error(422, "invalid_request");
    // JSON Schema's integers include 10.0
    let created = admin.raw("POST", "/id-tokens/import", "application/json", r#"[{"value": "INT-1"}]"#).await.expect(200);
    assert_eq!(created["imported"], 1);
    let answer = admin.raw("POST", "/api-keys", "application/json", r#"{"name": "n", "scope": "read"}"#).await;
    answer.expect(201);
    server.register_station("FLOAT-1").await;
    let answer = admin.raw("POST", "/stations/FLOAT-1/commands/unlock-connector", "application/json", r#"{"evse": 2.0}"#).await;
    answer.expect_error(409, "station_offline");
    // rules between fields: a connector needs its EVSE
    let answer = admin.post("/stations/FLOAT-1/commands/change-availability", json!({"connector": 1, "operative": true})).await;
    answer.expect_error(422, "invalid_request");
    // names are taken as given, not trimmed
    admin.post("/api-keys", json!({"name": " padded", "scope": "read"})).await.expect_error(422, "invalid_request");
    admin.post("/api-keys", json!({"name": "x", "scope": " read"})).await.expect_error(422, "invalid_request");
    // a time range that ends before it begins is empty
    let empty = admin.get("/stations/FLOAT-1/log?from=2030-01-01T00:00:00Z&to=2020-01-01T00:00:00Z").await.expect(200);
    assert_eq!(empty["items"], json!([]));
    server.shutdown().await;
}
