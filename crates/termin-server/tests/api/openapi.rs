//! The OpenAPI document as a reviewed snapshot: any change to a route, field, status code or
//! constraint shows up in the diff of `snapshots/api__openapi__openapi.snap`.

#[test]
fn the_openapi_document_is_the_reviewed_one() {
    insta::assert_json_snapshot!("openapi", termin_server::app::openapi());
}
